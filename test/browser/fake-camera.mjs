/**
 * A fake camera for Chromium (--use-file-for-fake-video-capture): a QR code rendered with the
 * `qrcode` package, decoded with pngjs, and written as a YUV4MPEG2 (.y4m) file of a few
 * identical 4:2:0 frames — the header, then "FRAME\n" + the Y, U and V planes per frame.
 * Chromium loops the file, so the page sees the code for as long as the camera is open.
 */
import { writeFile } from 'node:fs/promises';
import { PNG } from 'pngjs';
import QRCode from 'qrcode';

const WIDTH = 640;
const HEIGHT = 480;
const FRAMES = 2;
const FRAME_RATE = 10;

/** A PNG of the QR code, as the wallet draws it (error correction M, 4-module quiet zone). */
export async function qrPng(text, scale = 10) {
  return QRCode.toBuffer(text, { errorCorrectionLevel: 'M', margin: 4, scale, type: 'png' });
}

/** BT.601 full-range luma of an RGB pixel. */
function luma(r, g, b) {
  return Math.max(0, Math.min(255, Math.round(0.299 * r + 0.587 * g + 0.114 * b)));
}

/** The Y plane of a white WIDTH×HEIGHT picture with the image centred on it (alpha over white). */
function lumaPlane(png) {
  const y = Buffer.alloc(WIDTH * HEIGHT, 255);
  const left = Math.floor((WIDTH - png.width) / 2);
  const top = Math.floor((HEIGHT - png.height) / 2);
  if (left < 0 || top < 0) throw new Error(`the QR image (${png.width}×${png.height}) is larger than the frame`);
  for (let row = 0; row < png.height; row++) {
    for (let col = 0; col < png.width; col++) {
      const i = (row * png.width + col) * 4;
      const alpha = png.data[i + 3] / 255;
      const over = (c) => c * alpha + 255 * (1 - alpha);
      y[(top + row) * WIDTH + left + col] = luma(over(png.data[i]), over(png.data[i + 1]), over(png.data[i + 2]));
    }
  }
  return y;
}

/** Writes `file` as a .y4m showing the QR code of `text`, black on white (chroma neutral). */
export async function writeQrY4m(text, file) {
  const png = PNG.sync.read(await qrPng(text));
  const y = lumaPlane(png);
  const chroma = Buffer.alloc((WIDTH / 2) * (HEIGHT / 2), 128);
  const header = Buffer.from(`YUV4MPEG2 W${WIDTH} H${HEIGHT} F${FRAME_RATE}:1 Ip A1:1 C420jpeg\n`, 'ascii');
  const frame = Buffer.concat([Buffer.from('FRAME\n', 'ascii'), y, chroma, chroma]);
  await writeFile(file, Buffer.concat([header, ...Array.from({ length: FRAMES }, () => frame)]));
}
