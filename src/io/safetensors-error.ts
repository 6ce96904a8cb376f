/** The one error type of the safetensors module: every malformed file and every invalid writer input. */
export class SafetensorsError extends Error {
  /** The file being read or written. */
  readonly file: string;
  /** The tensor concerned, when the problem belongs to one. */
  readonly tensor: string | undefined;
  /** The problem alone, without file and tensor. */
  readonly problem: string;

  constructor(file: string, problem: string, tensor?: string) {
    const where = tensor === undefined ? file : `${file}, tensor ${JSON.stringify(tensor)}`;
    super(`safetensors ${where}: ${problem}`);
    this.name = 'SafetensorsError';
    this.file = file;
    this.tensor = tensor;
    this.problem = problem;
  }
}
