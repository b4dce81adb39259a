//! The hicolor icon sizes, made from the one source icon at bundle time (area averaging over
//! premultiplied alpha: deterministic, no image tools needed).

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::ICON_SIZES;

/// Writes `<dir>/<n>x<n>.png` for every size in [`ICON_SIZES`] from `source` (a square PNG);
/// returns their paths.
pub fn write_sizes(source: &Path, dir: &Path) -> Result<Vec<PathBuf>> {
    let (width, height, rgba) =
        read_rgba(source).with_context(|| format!("reading {}", source.display()))?;
    if width != height {
        bail!(
            "{} is {width}x{height}; the app icon must be square",
            source.display()
        );
    }
    std::fs::create_dir_all(dir)?;
    ICON_SIZES
        .iter()
        .map(|&size| {
            let path = dir.join(format!("{size}x{size}.png"));
            let pixels = resize(&rgba, width, size);
            write_rgba(&path, size, &pixels)
                .with_context(|| format!("writing {}", path.display()))?;
            Ok(path)
        })
        .collect()
}

fn read_rgba(path: &Path) -> Result<(u32, u32, Vec<u8>)> {
    let mut decoder = png::Decoder::new(std::io::BufReader::new(File::open(path)?));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info()?;
    let mut buf = vec![0; reader.output_buffer_size().context("image too large")?];
    let info = reader.next_frame(&mut buf)?;
    buf.truncate(info.buffer_size());
    let rgba = match info.color_type {
        png::ColorType::Rgba => buf,
        png::ColorType::Rgb => buf
            .chunks(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect(),
        png::ColorType::GrayscaleAlpha => buf
            .chunks(2)
            .flat_map(|p| [p[0], p[0], p[0], p[1]])
            .collect(),
        png::ColorType::Grayscale => buf.iter().flat_map(|&g| [g, g, g, 255]).collect(),
        other => bail!("unexpected colour type {other:?} after normalising"),
    };
    Ok((info.width, info.height, rgba))
}

fn write_rgba(path: &Path, size: u32, pixels: &[u8]) -> Result<()> {
    let mut encoder = png::Encoder::new(BufWriter::new(File::create(path)?), size, size);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::High);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(pixels)?;
    writer.finish()?;
    Ok(())
}

/// `src` (`from`x`from` RGBA) scaled to `to`x`to`: each output pixel is the average of the
/// source area it covers, colours weighted by alpha (so transparent pixels lend no colour).
fn resize(src: &[u8], from: u32, to: u32) -> Vec<u8> {
    let scale = f64::from(from) / f64::from(to);
    let mut out = Vec::with_capacity((to * to * 4) as usize);
    for y in 0..to {
        let (y0, y1) = (f64::from(y) * scale, f64::from(y + 1) * scale);
        for x in 0..to {
            let (x0, x1) = (f64::from(x) * scale, f64::from(x + 1) * scale);
            let mut acc = [0.0f64; 4];
            let mut weight = 0.0;
            for sy in (y0.floor() as u32)..(y1.ceil() as u32).min(from) {
                let wy = overlap(sy, y0, y1);
                for sx in (x0.floor() as u32)..(x1.ceil() as u32).min(from) {
                    let w = wy * overlap(sx, x0, x1);
                    let p = &src[((sy * from + sx) * 4) as usize..][..4];
                    let alpha = f64::from(p[3]) / 255.0;
                    for c in 0..3 {
                        acc[c] += f64::from(p[c]) * alpha * w;
                    }
                    acc[3] += alpha * w;
                    weight += w;
                }
            }
            let alpha = acc[3] / weight;
            for c in acc.iter().take(3) {
                let colour = if acc[3] > 0.0 { c / acc[3] } else { 0.0 };
                out.push(colour.round().clamp(0.0, 255.0) as u8);
            }
            out.push((alpha * 255.0).round().clamp(0.0, 255.0) as u8);
        }
    }
    out
}

/// How much of source pixel `i` (the span `i..i+1`) lies within `start..end`.
fn overlap(i: u32, start: f64, end: f64) -> f64 {
    (end.min(f64::from(i) + 1.0) - start.max(f64::from(i))).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_size_is_unchanged_and_halving_averages() {
        // 2x2: opaque red, opaque blue, transparent (green, which must lend no colour), opaque red.
        let src = [255, 0, 0, 255, 0, 0, 255, 255, 0, 255, 0, 0, 255, 0, 0, 255];
        // The same size: the same pixels, except that a transparent one keeps no colour.
        let same = resize(&src, 2, 2);
        assert_eq!(same[..8], src[..8]);
        assert_eq!(same[8..12], [0, 0, 0, 0]);
        assert_eq!(same[12..], src[12..]);
        let one = resize(&src, 2, 1);
        assert_eq!(one, vec![170, 0, 85, 191]);
    }

    #[test]
    fn doubling_repeats_pixels() {
        let src = [10, 20, 30, 255];
        assert_eq!(resize(&src, 1, 2), [10, 20, 30, 255].repeat(4));
    }
}
