import { describe, expect, it } from "vitest";
import { niceTicks, ordinal, preciseDuration, tickLabel } from "./time";

describe("time as people read it", () => {
  it("writes durations with the precision they need", () => {
    expect(preciseDuration(850)).toBe("850ms");
    expect(preciseDuration(3420)).toBe("3.4s");
    expect(preciseDuration(9990)).toBe("10s");
    expect(preciseDuration(42_400)).toBe("42s");
    expect(preciseDuration(125_000)).toBe("2m 05s");
    expect(preciseDuration(3_900_000)).toBe("1h 05m");
    expect(preciseDuration(-5)).toBe("0ms");
  });
  it("labels ticks", () => {
    expect([0, 500, 1500, 30_000, 90_000, 7_200_000, 109_800_000].map(tickLabel)).toEqual(["0s", "500ms", "1.5s", "30s", "1m 30s", "2h", "1d 6h"]);
  });
  it("picks round steps", () => {
    expect(niceTicks(2500).map((t) => t.label)).toEqual(["0s", "500ms", "1s", "1.5s", "2s", "2.5s"]);
    expect(niceTicks(100_000).map((t) => t.ms)).toEqual([0, 20_000, 40_000, 60_000, 80_000, 100_000]);
    expect(niceTicks(0)).toEqual([{ ms: 0, x: 0, label: "0s" }]);
  });
  it("counts attempts", () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 101].map(ordinal)).toEqual(["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st"]);
  });
});
