/** What happened to each problem finding between a session and a later one (a re-test after a fix). */
export type FindingChange = 'fixed' | 'still_failing' | 'new';

export interface Comparison {
  readonly a: string;
  readonly b: string;
  readonly verdict: { readonly a: string | null; readonly b: string | null };
  readonly changes: {
    readonly id: string;
    readonly target: string;
    readonly change: FindingChange;
    readonly severity: string;
  }[];
}
