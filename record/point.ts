/** One sample. Numbers are written as floats, so a field never changes type between runs. */
export interface Point {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, number | string | boolean>;
  /** Milliseconds since the epoch. */
  time: number;
}

/** Anything that accepts points: the run store, InfluxDB, a test collector. */
export interface PointSink {
  readonly name: string;
  write(points: Point[]): void;
  /** Pushes buffered points out; resolves when done or spooled. */
  flush(): Promise<void>;
  close(): Promise<void>;
}
