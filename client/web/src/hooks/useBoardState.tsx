// The board's store for the components: provided once, read with
// useBoardState() (re-renders when the store publishes).
import { createContext, useContext, useState, useSyncExternalStore, type ReactNode } from "react";
import { BoardStore, type BoardSnapshot } from "../board/boardStore";

const StoreContext = createContext<BoardStore | null>(null);

export function BoardStoreProvider({ store, children }: { store?: BoardStore; children: ReactNode }) {
  const [value] = useState(() => store ?? new BoardStore());
  return <StoreContext.Provider value={value}>{children}</StoreContext.Provider>;
}

export function useBoardStore(): BoardStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error("useBoardStore outside BoardStoreProvider");
  return store;
}

export function useBoardState(): BoardSnapshot {
  const store = useBoardStore();
  return useSyncExternalStore(store.subscribe, store.getSnapshot);
}
