import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { LeadSchema } from "../gen/leadboard/v1/lead_pb";
import { toCard } from "./card";

describe("toCard", () => {
  it("keeps what cards, filters and totals read and drops the rest", () => {
    const lead = create(LeadSchema, {
      id: "a", jobId: "j", stage: "enriched", revision: 7n, activity: "working", currentAgent: "X",
      profile: { companyName: "Romano", website: "romano.adv.br", sector: "Legal", description: "long text", sourceUrl: "u" },
      roiPotentialScore: 0.5, stageEnteredAt: { seconds: 5n }, createdAt: { seconds: 1n }, stageNote: "call",
      enrichment: { strategicQuestions: ["why?"] }, warnings: [{ message: "w" }],
    });
    const card = toCard(lead);
    expect(card.profile).toMatchObject({ companyName: "Romano", website: "romano.adv.br", sector: "Legal", description: "" });
    expect(card.enrichment).toBeUndefined();
    expect(card.createdAt).toBeUndefined();
    expect(card.stageEnteredAt?.seconds).toBe(5n);
    expect([card.roiPotentialScore, card.stageNote, card.warnings.length, card.activity]).toEqual([0.5, "call", 1, "working"]);
  });
});
