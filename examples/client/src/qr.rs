//! The invitation's QR code (spec §5.3.3): the URI text as a QR code in the terminal, as SVG
//! and as PNG.

use qrcode::render::{svg, unicode};
use qrcode::{Color, EcLevel, QrCode};

/// Why a QR code could not be made.
#[derive(Debug)]
pub struct QrError(pub String);

impl std::fmt::Display for QrError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "QR code: {}", self.0)
    }
}

impl std::error::Error for QrError {}

fn code(text: &str) -> Result<QrCode, QrError> {
    // Level M: the usual choice for links shown on screens.
    QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| QrError(e.to_string()))
}

/// The code drawn with Unicode half blocks, two modules per character cell, with the quiet
/// zone, dark on light.
pub fn terminal(text: &str) -> Result<String, QrError> {
    Ok(code(text)?
        .render::<unicode::Dense1x2>()
        .dark_color(unicode::Dense1x2::Light)
        .light_color(unicode::Dense1x2::Dark)
        .build())
}

/// The code as an SVG document.
pub fn svg(text: &str) -> Result<String, QrError> {
    Ok(code(text)?
        .render()
        .min_dimensions(256, 256)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build())
}

/// The code as an 8-bit greyscale PNG, `scale` pixels per module, with a 4-module quiet zone.
pub fn png(text: &str, scale: usize) -> Result<Vec<u8>, QrError> {
    let c = code(text)?;
    let w = c.width();
    let colors = c.to_colors();
    let quiet = 4;
    let side = (w + 2 * quiet) * scale;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color != Color::Dark {
            continue;
        }
        let (mx, my) = (i % w + quiet, i / w + quiet);
        for y in my * scale..(my + 1) * scale {
            let row = y * side;
            for x in mx * scale..(mx + 1) * scale {
                if let Some(p) = pixels.get_mut(row + x) {
                    *p = 0;
                }
            }
        }
    }
    let mut out = Vec::new();
    {
        let side32 = u32::try_from(side).map_err(|_| QrError("too large".into()))?;
        let mut enc = png::Encoder::new(&mut out, side32, side32);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut wr = enc.write_header().map_err(|e| QrError(e.to_string()))?;
        wr.write_image_data(&pixels)
            .map_err(|e| QrError(e.to_string()))?;
    }
    Ok(out)
}
