// Draws the Teams app icons without fonts or image libraries: a rounded square with an "S" made of bars and an
// "invitation" dot. color.png is 192x192 (full colour), outline.png is 32x32 (white on transparent), as Teams
// requires. Run `node dist/deployment/teams-app/make-icons.js` after a build to regenerate both files.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { findRepoRoot, teamsAppDir } from '../lib/paths';
import { encodePng, RgbaImage } from '../lib/png';

type Rgb = readonly [number, number, number];

/** A shape in unit coordinates (0..1 across the icon). */
interface Shape {
  contains(x: number, y: number): boolean;
}

interface Layer {
  shape: Shape;
  color: Rgb;
}

export const ACCENT: Rgb = [0x2f, 0x5f, 0xb3];
const WHITE: Rgb = [0xff, 0xff, 0xff];
const DOT: Rgb = [0xf5, 0xa6, 0x23];
const SAMPLES = 4; // 4x4 samples per pixel: smooth edges without any filtering code

function roundedRect(x0: number, y0: number, x1: number, y1: number, r: number): Shape {
  return {
    contains(x, y) {
      if (x < x0 || x > x1 || y < y0 || y > y1) return false;
      const cx = Math.min(Math.max(x, x0 + r), x1 - r);
      const cy = Math.min(Math.max(y, y0 + r), y1 - r);
      return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
    },
  };
}

function circle(cx: number, cy: number, r: number): Shape {
  return { contains: (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r };
}

/** The letter S as seven bars inside the box (x0, y0, w, h) with stroke t. */
function letterS(x0: number, y0: number, w: number, h: number, t: number): Shape[] {
  const x1 = x0 + w;
  const y1 = y0 + h;
  const mid = y0 + h / 2;
  const r = t / 4;
  return [
    roundedRect(x0, y0, x1, y0 + t, r), // top
    roundedRect(x1 - t, y0, x1, y0 + t * 1.6, r), // the top's hook (tells an S from a 5)
    roundedRect(x0, y0, x0 + t, mid + t / 2, r), // upper left
    roundedRect(x0, mid - t / 2, x1, mid + t / 2, r), // middle
    roundedRect(x1 - t, mid - t / 2, x1, y1, r), // lower right
    roundedRect(x0, y1 - t, x1, y1, r), // bottom
    roundedRect(x0, y1 - t * 1.6, x0 + t, y1, r), // the bottom's hook
  ];
}

/** Rasterises layers (later layers on top) into an RGBA image by supersampling. */
export function rasterise(size: number, layers: readonly Layer[]): RgbaImage {
  const pixels = new Uint8Array(size * size * 4);
  const n = SAMPLES * SAMPLES;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let hits = 0;
      let r = 0;
      let g = 0;
      let b = 0;
      for (let sy = 0; sy < SAMPLES; sy++) {
        for (let sx = 0; sx < SAMPLES; sx++) {
          const x = (px + (sx + 0.5) / SAMPLES) / size;
          const y = (py + (sy + 0.5) / SAMPLES) / size;
          for (let i = layers.length - 1; i >= 0; i--) {
            if (layers[i].shape.contains(x, y)) {
              hits++;
              r += layers[i].color[0];
              g += layers[i].color[1];
              b += layers[i].color[2];
              break;
            }
          }
        }
      }
      const o = (py * size + px) * 4;
      if (hits > 0) {
        pixels[o] = Math.round(r / hits);
        pixels[o + 1] = Math.round(g / hits);
        pixels[o + 2] = Math.round(b / hits);
        pixels[o + 3] = Math.round((255 * hits) / n);
      }
    }
  }
  return { width: size, height: size, pixels };
}

/** 192x192: accent rounded square, white S, orange invitation dot. */
export function renderColorIcon(): RgbaImage {
  const layers: Layer[] = [{ shape: roundedRect(0, 0, 1, 1, 0.18), color: ACCENT }];
  for (const bar of letterS(0.3, 0.22, 0.36, 0.56, 0.1)) layers.push({ shape: bar, color: WHITE });
  layers.push({ shape: circle(0.77, 0.23, 0.085), color: WHITE });
  layers.push({ shape: circle(0.77, 0.23, 0.06), color: DOT });
  return rasterise(192, layers);
}

/** 32x32: white S and dot on a transparent background (Teams tints the outline icon itself). */
export function renderOutlineIcon(): RgbaImage {
  const layers: Layer[] = letterS(0.14, 0.12, 0.56, 0.78, 0.14).map((shape) => ({ shape, color: WHITE }));
  layers.push({ shape: circle(0.85, 0.17, 0.12), color: WHITE });
  return rasterise(32, layers);
}

/** Writes color.png and outline.png into `dir`; returns the paths written. */
export function writeIcons(dir: string = teamsAppDir(findRepoRoot())): string[] {
  const files: [string, RgbaImage][] = [
    ['color.png', renderColorIcon()],
    ['outline.png', renderOutlineIcon()],
  ];
  return files.map(([name, image]) => {
    const file = path.join(dir, name);
    writeFileSync(file, encodePng(image));
    return file;
  });
}

if (require.main === module) {
  for (const file of writeIcons()) console.log(`wrote ${file}`);
}
