/** What the image pipeline learns while it runs, for the conditions of its stream processes. */
export interface ImageFacts {
  /** The compression the image turned out to have (sniffed, when the plan says auto). */
  readonly compression?: string;
  /** Set once a zstd image turned out to hold several frames. */
  readonly zstdFrames?: 'many';
  /** Set once the qcow2 streamer refused the image. */
  readonly streamer?: 'refused';
}

/**
 * The argv of a stream process the action declares (first whose argv starts with `prefix` and whose conditions
 * hold for this image), placeholders filled: the pipeline runs no process its action does not name.
 */
export type PipeLookup = (prefix: readonly string[], values?: Readonly<Record<string, string | number>>, facts?: ImageFacts) => Promise<string[]>;
