import { useSyncExternalStore } from "react";
import { loadSession, subscribe, type Session } from "./session";

export function useSession(): Session | null {
  return useSyncExternalStore(subscribe, loadSession, loadSession);
}
