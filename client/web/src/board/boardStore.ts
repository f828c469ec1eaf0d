// BoardStore: the one place the board's state lives in the browser. The
// watch stream publishes BoardStates into it (whole snapshots at `synced`,
// batches of live changes once per frame); the move mutation changes the
// optimistic overlay. React reads it with useSyncExternalStore, so a publish
// re-renders only what depends on what changed.
import type { Lead } from "../gen/leadboard/v1/lead_pb";
import { initialBoardState, type BoardState } from "./boardState";
import { beginMove, confirmMove, correctMove, dropMove, noMoves, settleMoves, type Moves } from "./moves";

export interface BoardSnapshot {
  readonly state: BoardState;
  readonly moves: Moves;
  // Snapshot entries received so far while the first snapshot loads.
  readonly loading: number;
}

export class BoardStore {
  private snapshot: BoardSnapshot = { state: initialBoardState, moves: noMoves, loading: 0 };
  private readonly listeners = new Set<() => void>();

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): BoardSnapshot => this.snapshot;

  get state(): BoardState {
    return this.snapshot.state;
  }

  private set(next: BoardSnapshot): void {
    if (next === this.snapshot) return;
    this.snapshot = next;
    for (const listener of this.listeners) listener();
  }

  publish(state: BoardState): void {
    if (state === this.snapshot.state) return;
    this.set({ state, moves: settleMoves(this.snapshot.moves, state.byId), loading: 0 });
  }

  setLoading(loading: number): void {
    this.set({ ...this.snapshot, loading });
  }

  private setMoves(moves: Moves): void {
    if (moves !== this.snapshot.moves) this.set({ ...this.snapshot, moves: settleMoves(moves, this.snapshot.state.byId) });
  }

  beginMove(lead: Lead, toStage: string): number {
    const [moves, token] = beginMove(this.snapshot.moves, lead, toStage);
    this.setMoves(moves);
    return token;
  }

  confirmMove(leadId: string, token: number, revision: bigint): void {
    this.setMoves(confirmMove(this.snapshot.moves, leadId, token, revision));
  }

  correctMove(leadId: string, token: number, stage: string, revision: bigint): void {
    this.setMoves(correctMove(this.snapshot.moves, leadId, token, stage, revision));
  }

  dropMove(leadId: string, token: number): void {
    this.setMoves(dropMove(this.snapshot.moves, leadId, token));
  }

  reset(): void {
    this.set({ state: initialBoardState, moves: noMoves, loading: 0 });
  }
}
