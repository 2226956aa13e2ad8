/**
 * The webcam as a stream of square, mirrored RGBA frames (getUserMedia): each `grab` draws the
 * video's centre square, flipped like a mirror, at `size` px. Permission errors and missing
 * cameras become messages that say what to do.
 */
import type { Rgba } from '../bridge/protocol.js';

export class Webcam {
  private constructor(
    private readonly video: HTMLVideoElement,
    private readonly stream: MediaStream,
  ) {}

  static async open(): Promise<Webcam> {
    if (!navigator.mediaDevices?.getUserMedia) {
      throw Object.assign(new Error('this browser offers no camera here'), {
        hint: 'the webcam needs https or http://127.0.0.1 / localhost',
      });
    }
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { width: 640, height: 480 },
        audio: false,
      });
    } catch (error) {
      const name = (error as DOMException).name;
      throw Object.assign(
        new Error(`cannot open the webcam (${name}: ${(error as Error).message})`),
        {
          hint:
            name === 'NotAllowedError'
              ? 'allow camera access for this page in the browser'
              : 'is a camera connected and not used by another program?',
        },
      );
    }
    const video = document.createElement('video');
    video.muted = true;
    video.playsInline = true;
    video.srcObject = stream;
    await video.play();
    return new Webcam(video, stream);
  }

  /** The current frame: centre square, mirrored, `size` x `size`. */
  grab(size: number): Rgba {
    const { videoWidth: w, videoHeight: h } = this.video;
    const side = Math.min(w, h) || 1;
    const canvas = new OffscreenCanvas(size, size);
    const g = canvas.getContext('2d', { willReadFrequently: true })!;
    g.translate(size, 0);
    g.scale(-1, 1);
    g.drawImage(this.video, (w - side) / 2, (h - side) / 2, side, side, 0, 0, size, size);
    return { width: size, height: size, data: g.getImageData(0, 0, size, size).data };
  }

  close(): void {
    for (const track of this.stream.getTracks()) track.stop();
    this.video.srcObject = null;
  }
}
