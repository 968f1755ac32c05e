/**
 * Reads QR codes from camera frames and photos: the browser's own BarcodeDetector where it
 * exists and knows QR, else jsQR on the pixels of a canvas. jsQR is loaded on first use, so
 * the pages that never scan do not carry it.
 */

/** The part of the Barcode Detection API we use (not yet in TypeScript's DOM library). */
interface DetectedBarcode {
  rawValue: string;
}
interface BarcodeDetectorLike {
  detect(source: CanvasImageSource | ImageBitmap | ImageData): Promise<DetectedBarcode[]>;
}
interface BarcodeDetectorClass {
  new (options: { formats: string[] }): BarcodeDetectorLike;
  getSupportedFormats(): Promise<string[]>;
}

export type DecoderKind = 'native' | 'jsqr';

export interface QrDecoder {
  kind: DecoderKind;
  /** The text of the first QR code in the frame, or null when there is none. */
  decode(source: HTMLVideoElement | ImageBitmap): Promise<string | null>;
}

/** Camera frames are scaled down to this width before jsQR reads them: enough for a phone-screen QR. */
const FRAME_WIDTH_MAX = 640;
/** Photos keep more detail: the code may be a small part of the picture. */
const PHOTO_WIDTH_MAX = 1600;

function barcodeDetectorClass(): BarcodeDetectorClass | null {
  const candidate = (globalThis as { BarcodeDetector?: BarcodeDetectorClass }).BarcodeDetector;
  return typeof candidate === 'function' ? candidate : null;
}

async function nativeDecoder(): Promise<QrDecoder | null> {
  const Detector = barcodeDetectorClass();
  if (Detector === null) return null;
  try {
    if (!(await Detector.getSupportedFormats()).includes('qr_code')) return null;
    const detector = new Detector({ formats: ['qr_code'] });
    return {
      kind: 'native',
      decode: async (source) => (await detector.detect(source))[0]?.rawValue ?? null,
    };
  } catch {
    // Some builds expose the class but fail at use (no platform support): fall back to jsQR.
    return null;
  }
}

function sizeOf(source: HTMLVideoElement | ImageBitmap): { width: number; height: number } {
  return source instanceof HTMLVideoElement
    ? { width: source.videoWidth, height: source.videoHeight }
    : { width: source.width, height: source.height };
}

async function jsqrDecoder(widthMax: number): Promise<QrDecoder> {
  const { default: jsQR } = await import('jsqr');
  const canvas = document.createElement('canvas');
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (context === null) throw new Error('no 2d canvas context');
  return {
    kind: 'jsqr',
    decode: async (source) => {
      const { width, height } = sizeOf(source);
      if (width === 0 || height === 0) return null;
      const scale = Math.min(1, widthMax / width);
      canvas.width = Math.round(width * scale);
      canvas.height = Math.round(height * scale);
      context.drawImage(source, 0, 0, canvas.width, canvas.height);
      const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
      return jsQR(pixels.data, pixels.width, pixels.height)?.data ?? null;
    },
  };
}

/** The best decoder this browser offers, for camera frames. */
export async function frameDecoder(): Promise<QrDecoder> {
  return (await nativeDecoder()) ?? jsqrDecoder(FRAME_WIDTH_MAX);
}

/** Reads the QR code in a photo; null when none is found. */
export async function decodePhoto(file: Blob): Promise<{ text: string | null; kind: DecoderKind }> {
  const bitmap = await createImageBitmap(file);
  try {
    const decoder = (await nativeDecoder()) ?? (await jsqrDecoder(PHOTO_WIDTH_MAX));
    return { text: await decoder.decode(bitmap), kind: decoder.kind };
  } finally {
    bitmap.close();
  }
}
