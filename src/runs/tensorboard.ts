/**
 * TensorBoard event files (`reportTo: [tensorboard]`, TRL's `report_to`): scalars, the config as
 * text, hyperparameters for the HParams dashboard, and text samples. No maintained npm package
 * writes them (the one that does, @tensorflow/tfjs-node, downloads libtensorflow), so the two
 * layers are written here from their specifications:
 *
 * - TFRecord framing (tensorflow/core/lib/io/record_writer.cc): per record
 *   `uint64 length | uint32 masked_crc32c(length) | data | uint32 masked_crc32c(data)`, little
 *   endian, where mask(c) = ((c >>> 15) | (c << 17)) + 0xa282ead8 and CRC32C is the Castagnoli CRC
 *   (reflected polynomial 0x82f63b78).
 * - `tensorflow.Event` protobuf messages (tensorflow/core/util/event.proto, summary.proto and
 *   tensorboard/plugins/{text,hparams}), encoded with @bufbuild/protobuf's BinaryWriter.
 *
 * The first record of a file is an Event with `file_version: "brain.Event:2"`. A resumed run writes
 * a SessionLog START at the step it resumes from: TensorBoard then drops the events of earlier
 * files at or after that step, as the resume drops them from metrics.jsonl.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

/** The folder of a run's event files, as `tensorboard --logdir RUN_DIR` (or a parent) finds it. */
export const TENSORBOARD_DIR = 'tensorboard';

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli) of `bytes`. */
export function crc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC32C_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC: a CRC of data that itself holds CRCs is otherwise weak. */
export function maskedCrc32c(bytes: Uint8Array): number {
  const c = crc32c(bytes);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One TFRecord: length, its masked CRC, the data, its masked CRC. */
export function tfRecord(data: Uint8Array): Buffer {
  const header = Buffer.alloc(12);
  header.writeBigUInt64LE(BigInt(data.length), 0);
  header.writeUInt32LE(maskedCrc32c(header.subarray(0, 8)), 8);
  const footer = Buffer.alloc(4);
  footer.writeUInt32LE(maskedCrc32c(data), 0);
  return Buffer.concat([header, data, footer]);
}

/** A hyperparameter value as the HParams plugin stores it (google.protobuf.Value). */
export type HParamValue = number | string | boolean;

type Field = (w: BinaryWriter) => void;

/** A length-delimited field `no` holding the fields `body` writes. */
const message = (w: BinaryWriter, no: number, body: Field) => {
  w.tag(no, WireType.LengthDelimited).fork();
  body(w);
  w.join();
};

const encode = (body: Field) => {
  const w = new BinaryWriter();
  body(w);
  return w.finish();
};

/** Event { double wall_time = 1; int64 step = 2; oneof what { … } }. */
function event(step: number, what: Field, wallTime = Date.now() / 1000): Uint8Array {
  return encode((w) => {
    w.tag(1, WireType.Bit64).double(wallTime);
    w.tag(2, WireType.Varint).int64(step);
    what(w);
  });
}

/** Summary.Value's SummaryMetadata { PluginData plugin_data = 1 { plugin_name = 1; content = 2 } }. */
const pluginMetadata = (w: BinaryWriter, plugin: string, content?: Uint8Array) =>
  message(w, 9, (m) =>
    message(m, 1, (p) => {
      p.tag(1, WireType.LengthDelimited).string(plugin);
      if (content) p.tag(2, WireType.LengthDelimited).bytes(content);
    }),
  );

/** google.protobuf.Value { double number_value = 2; string string_value = 3; bool bool_value = 4 }. */
const protobufValue = (w: BinaryWriter, v: HParamValue) => {
  if (typeof v === 'number') w.tag(2, WireType.Bit64).double(v);
  else if (typeof v === 'string') w.tag(3, WireType.LengthDelimited).string(v);
  else w.tag(4, WireType.Varint).bool(v);
};

/** HParamsPluginData { int32 version = 1; oneof data { … session_start_info = 3; session_end_info = 4 } }. */
const hparamsPluginData = (kind: 3 | 4, body: Field) =>
  encode((w) => {
    w.tag(1, WireType.Varint).int32(0);
    message(w, kind, body);
  });

/** Writers opened by this process: a resume in the same second still gets a file of its own. */
let opened = 0;

/**
 * Appends the events of one (re)start of a run to one file,
 * `events.out.tfevents.<seconds>.<host>.<pid>.<n>` (TensorBoard reads a folder's files in name order).
 */
export class TensorBoardWriter {
  readonly path: string;

  constructor(dir: string, now = Date.now()) {
    mkdirSync(dir, { recursive: true });
    const n = String(opened++).padStart(4, '0');
    this.path = join(dir, `events.out.tfevents.${Math.floor(now / 1000)}.${hostname()}.${process.pid}.${n}`);
    this.write(event(0, (w) => w.tag(3, WireType.LengthDelimited).string('brain.Event:2')));
  }

  private write(bytes: Uint8Array): void {
    try {
      appendFileSync(this.path, tfRecord(bytes));
    } catch (e) {
      throw new Error(`cannot append to the TensorBoard event file ${this.path}: ${(e as Error).message}`);
    }
  }

  /**
   * Marks a (re)start at `step`: TensorBoard discards what earlier files logged at or after it
   * (Event.session_log = 7, SessionLog { status = 1: START }).
   */
  start(step: number): void {
    this.write(event(step, (w) => message(w, 7, (s) => s.tag(1, WireType.Varint).int32(1))));
  }

  /** Each finite number of `record` as a scalar named by its key (the metric names of metrics.jsonl). */
  scalars(step: number, record: Record<string, number>): void {
    const entries = Object.entries(record).filter(([k, v]) => k !== 'step' && Number.isFinite(v));
    if (!entries.length) return;
    this.write(
      event(step, (w) =>
        message(w, 5, (summary) => {
          for (const [tag, value] of entries)
            message(summary, 1, (v) => {
              v.tag(1, WireType.LengthDelimited).string(tag);
              v.tag(2, WireType.Bit32).float(value);
            });
        }),
      ),
    );
  }

  /**
   * Text (the Text dashboard renders it as Markdown): a Summary.Value with the "text" plugin and a
   * scalar DT_STRING TensorProto { dtype = 1: 7; tensor_shape = 2: {}; string_val = 8 }.
   */
  text(step: number, tag: string, text: string): void {
    this.write(
      event(step, (w) =>
        message(w, 5, (summary) =>
          message(summary, 1, (v) => {
            v.tag(1, WireType.LengthDelimited).string(tag);
            pluginMetadata(v, 'text');
            message(v, 8, (t) => {
              t.tag(1, WireType.Varint).int32(7);
              message(t, 2, () => {});
              t.tag(8, WireType.LengthDelimited).bytes(new TextEncoder().encode(text));
            });
          }),
        ),
      ),
    );
  }

  /**
   * The run's hyperparameters for the HParams dashboard (its SessionStartInfo: map<string, Value>
   * hparams = 1, start_time_secs = 5); TensorBoard builds the experiment from the runs' sessions.
   */
  hparams(values: Record<string, HParamValue>, startTime = Date.now() / 1000): void {
    const content = hparamsPluginData(3, (s) => {
      for (const [key, value] of Object.entries(values))
        message(s, 1, (entry) => {
          entry.tag(1, WireType.LengthDelimited).string(key);
          message(entry, 2, (v) => protobufValue(v, value));
        });
      s.tag(5, WireType.Bit64).double(startTime);
    });
    this.pluginEvent('_hparams_/session_start_info', 'hparams', content);
  }

  /** Ends the HParams session: SessionEndInfo { Status status = 1 (1 success, 2 failure); end_time_secs = 2 }. */
  hparamsEnd(ok: boolean, endTime = Date.now() / 1000): void {
    const content = hparamsPluginData(4, (s) => {
      s.tag(1, WireType.Varint).int32(ok ? 1 : 2);
      s.tag(2, WireType.Bit64).double(endTime);
    });
    this.pluginEvent('_hparams_/session_end_info', 'hparams', content);
  }

  private pluginEvent(tag: string, plugin: string, content: Uint8Array): void {
    this.write(
      event(0, (w) =>
        message(w, 5, (summary) =>
          message(summary, 1, (v) => {
            v.tag(1, WireType.LengthDelimited).string(tag);
            pluginMetadata(v, plugin, content);
          }),
        ),
      ),
    );
  }
}

/**
 * A config as HParams: nested keys dotted (`optim.lr`), numbers, strings and booleans kept, null
 * as "null", arrays as their JSON.
 */
export function flattenHParams(config: unknown, prefix = ''): Record<string, HParamValue> {
  const out: Record<string, HParamValue> = {};
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return out;
  for (const [key, value] of Object.entries(config)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean')
      out[name] = value;
    else if (value === null) out[name] = 'null';
    else if (Array.isArray(value)) out[name] = JSON.stringify(value);
    else if (typeof value === 'object') Object.assign(out, flattenHParams(value, name));
  }
  return out;
}
