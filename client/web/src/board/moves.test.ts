import { describe, expect, it } from "vitest";
import { applyBatch, SnapshotBuilder } from "./boardState";
import { matcher, noFilters } from "./filters";
import { beginMove, confirmMove, correctMove, dropMove, noMoves, settleMoves } from "./moves";
import { change, ids, lead } from "./testing";
import { boardViews } from "./view";

const board = () => {
  const b = new SnapshotBuilder();
  b.add(lead("romano", 10, { stage: "enriched", roi: 0.8 }));
  b.add(lead("other", 11, { stage: "reviewing", roi: 0.4 }));
  return b.build(11n);
};
const columns = ["enriched", "reviewing", "negotiating"];

describe("optimistic moves", () => {
  it("shows the card in the target column at once, pending, with totals following", () => {
    const s = board();
    const [moves] = beginMove(noMoves, s.byId.get("romano")!, "reviewing");
    const v = boardViews(s, moves, columns, null);
    expect(ids(v.enriched.leads)).toEqual([]);
    expect(ids(v.reviewing.leads)).toEqual(["romano", "other"]);
    expect(v.reviewing.totals.count).toBe(2);
    expect(v.reviewing.totals.roiSum).toBeCloseTo(1.2);
    expect(moves.get("romano")?.pending).toBe(true);
  });

  it("settles without a flicker when the stream delivers the move's revision", () => {
    let s = board();
    let [moves, token] = beginMove(noMoves, s.byId.get("romano")!, "reviewing");
    // The stream's MOVED change may come before the response ...
    s = applyBatch(s, [change(12, "romano", { stage: "reviewing" }, 7)], 0);
    moves = settleMoves(moves, s.byId);
    expect(moves.size).toBe(1); // still pending: no answer yet
    expect(ids(boardViews(s, moves, columns, null).reviewing.leads)).toEqual(["romano", "other"]);
    // ... then the response confirms revision 12, which the board already has.
    moves = settleMoves(confirmMove(moves, "romano", token, 12n), s.byId);
    expect(moves.size).toBe(0);
    expect(ids(boardViews(s, moves, columns, null).reviewing.leads)).toEqual(["romano", "other"]);
  });

  it("keeps the card in place after the response until the stream catches up", () => {
    let s = board();
    let [moves, token] = beginMove(noMoves, s.byId.get("romano")!, "negotiating");
    moves = settleMoves(confirmMove(moves, "romano", token, 12n), s.byId);
    expect(moves.get("romano")?.pending).toBe(false);
    expect(ids(boardViews(s, moves, columns, null).negotiating.leads)).toEqual(["romano"]);
    s = applyBatch(s, [change(12, "romano", { stage: "negotiating" }, 7)], 0);
    moves = settleMoves(moves, s.byId);
    expect(moves.size).toBe(0);
    expect(ids(boardViews(s, moves, columns, null).negotiating.leads)).toEqual(["romano"]);
  });

  it("on a conflict shows the card where the server says, then follows the stream", () => {
    let s = board();
    let [moves, token] = beginMove(noMoves, s.byId.get("romano")!, "reviewing");
    // Bruno moved it to negotiating at revision 12 first.
    moves = correctMove(moves, "romano", token, "negotiating", 12n);
    let v = boardViews(s, moves, columns, null);
    expect(ids(v.reviewing.leads)).toEqual(["other"]);
    expect(ids(v.negotiating.leads)).toEqual(["romano"]);
    s = applyBatch(s, [change(12, "romano", { stage: "negotiating" }, 7)], 0);
    moves = settleMoves(moves, s.byId);
    expect(moves.size).toBe(0);
    v = boardViews(s, moves, columns, null);
    expect(ids(v.negotiating.leads)).toEqual(["romano"]);
    expect(ids(v.enriched.leads)).toEqual([]);
  });

  it("rolls back to the server's truth on any other failure", () => {
    const s = board();
    const [moves, token] = beginMove(noMoves, s.byId.get("romano")!, "reviewing");
    const back = dropMove(moves, "romano", token);
    expect(back.size).toBe(0);
    expect(ids(boardViews(s, back, columns, null).enriched.leads)).toEqual(["romano"]);
  });

  it("lets a later move of the same card win over an earlier one's answer", () => {
    const s = board();
    const [m1, first] = beginMove(noMoves, s.byId.get("romano")!, "reviewing");
    const [m2] = beginMove(m1, s.byId.get("romano")!, "negotiating");
    const after = dropMove(m2, "romano", first); // the first move's failure arrives late
    expect(after.get("romano")?.toStage).toBe("negotiating");
  });

  it("applies the filters to moved cards too", () => {
    const s = board();
    const [moves] = beginMove(noMoves, s.byId.get("romano")!, "reviewing");
    const match = matcher({ ...noFilters, roiMin: 50 });
    expect(ids(boardViews(s, moves, columns, match).reviewing.leads)).toEqual(["romano"]);
  });
});
