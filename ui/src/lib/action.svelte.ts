// One user action's progress, shared by every form: whether it is running, and why it last
// failed, in words from the command's {code, message} error.
import { errorMessage } from './rules';

export class Action {
  busy = $state(false);
  failure = $state<string | null>(null);

  /** Runs `work`, tracking busy and failure. A failure is shown, not thrown. */
  async run(work: () => Promise<void>): Promise<void> {
    this.busy = true;
    this.failure = null;
    try {
      await work();
    } catch (error) {
      this.failure = errorMessage(error);
    } finally {
      this.busy = false;
    }
  }
}
