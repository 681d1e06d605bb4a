import type { RecordCodec } from '../../runtime/codec';
import type { Transport } from '../../runtime/transport';
import { TOPIC } from '../../topics/platform';
import type { Upload } from './upload-status';

/** Writes upload states to the compacted `uploads` topic (the latest per upload id is kept). */
export class UploadRecorder {
  constructor(
    private readonly transport: Transport,
    private readonly codec: RecordCodec,
  ) {}

  async record(upload: Upload): Promise<void> {
    await this.transport.produce([this.codec.encode(TOPIC.uploads, upload.uploadId, upload)]);
  }

  /** `record`, at most once per `intervalMs` (progress while a large file streams in). */
  throttled(intervalMs: number): (upload: Upload) => Promise<void> {
    let last = 0;
    return async (upload) => {
      const now = Date.now();
      if (now - last < intervalMs) return;
      last = now;
      await this.record(upload);
    };
  }
}
