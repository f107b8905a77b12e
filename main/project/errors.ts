/** A problem to show the creator, in plain words, with the fix when there is one. */
export class UserError extends Error {
  /** When the action can be taken again with the creator's go-ahead: the label of that choice ("Re-render them"). */
  confirm?: string;
  constructor(
    message: string,
    readonly fix?: string,
  ) {
    super(message);
    this.name = 'UserError';
  }
}
