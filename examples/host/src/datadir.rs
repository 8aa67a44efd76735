//! The data directory, created safely by `init` and by the first request (DEPLOY.md).
//!
//! It holds every member's ciphertext, the rosters and the nonce store (spec §8.9); whoever can
//! download it can replay history and see who talks to whom. It is created `0700` with a deny-all
//! `.htaccess` (for Apache), and the database `0600` (SQLite gives the `-wal` and `-shm` files
//! the database's mode). This module uses nothing else of the host, so that the store can call
//! it without an import circle.

use std::fs::{DirBuilder, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

/// The `.htaccess` written into a new data directory: Apache (2.4 and 2.2) serves nothing
/// from it. nginx and lighttpd ignore `.htaccess`; their deny rules are in DEPLOY.md.
pub const DENY_HTACCESS: &str = "\
# Written by hearth-host: nothing in this directory may ever be served.
<IfModule mod_authz_core.c>
    Require all denied
</IfModule>
<IfModule !mod_authz_core.c>
    Order allow,deny
    Deny from all
</IfModule>
";

/// Creates the data directory if it does not exist: its parents with the default mode, the
/// directory itself `0700` with [`DENY_HTACCESS`] inside.
pub fn create_data_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    match DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        // Another process created it first.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => return Ok(()),
        Err(e) => return Err(e),
    }
    std::fs::write(dir.join(".htaccess"), DENY_HTACCESS)?;
    tracing::info!(
        "created the data directory {} (mode 0700, deny-all .htaccess)",
        dir.display()
    );
    Ok(())
}

/// Creates an empty database file `0600` if there is none, so that SQLite's `-wal` and `-shm`
/// files get that mode too (SQLite gives them the database's permissions).
pub fn create_db_file(path: &Path) -> io::Result<()> {
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}
