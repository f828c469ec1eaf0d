// A watch that asks for `batch` gets the messages waiting for it (a burst,
// a snapshot, a replay) as one response, which saves a browser a grpc-web
// frame and a trip through the stream per message. The board takes them
// apart again as soon as they arrive, so the snapshot builder and
// applyBatch see each message on its own, in the order the server meant.
import type { WatchLeadsResponse } from "../gen/leadboard/v1/leadboard_pb";

// The messages `response` carries: a batch's, or the response itself. The
// server never nests batches, so one level is all there is to take apart.
// A batch's own revision is its last message's, which folding that message
// records anyway.
export function unbatch(response: WatchLeadsResponse): readonly WatchLeadsResponse[] {
  return response.change.case === "batch" ? response.change.value.messages : [response];
}
