// A form's problems, each beside its field: the form's own checks once it has been submitted,
// and a refusal of the core's that belongs to a field, kept until the next edit.
import { isIpcError, type Code } from './ipc';

export class FieldProblems<F extends string> {
  /** Whether the form has been submitted (its own checks show from then on). */
  tried = $state(false);
  /** The core's refusal, and the field it is about. */
  core = $state<{ field: F; message: string } | null>(null);

  /** `fieldOf` names the field a core error code is about, if any. */
  constructor(private readonly fieldOf: (code: Code) => F | undefined) {}

  /** The problem to show beside `field`, given the form's own `problems`. */
  shown(field: F, problems: Partial<Record<F, string>>): string | undefined {
    return (this.tried ? problems[field] : undefined) ?? (this.core?.field === field ? this.core.message : undefined);
  }

  /**
   * Submits: nothing when the form's own checks fail; otherwise `save`, with a refusal about
   * a field kept beside it and any other error thrown on.
   */
  async submit(problems: Partial<Record<F, string>>, save: () => Promise<void>): Promise<void> {
    this.tried = true;
    this.core = null;
    if (Object.keys(problems).length > 0) return;
    try {
      await save();
    } catch (error) {
      const field = isIpcError(error) ? this.fieldOf(error.code) : undefined;
      if (!field || !isIpcError(error)) throw error;
      this.core = { field, message: error.message };
    }
  }

  /** An edit clears the core's refusal. */
  edited(): void {
    this.core = null;
  }
}
