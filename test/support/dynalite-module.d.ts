// dynalite ships no types: the one call the tests make (index.js: `dynalite(options)` returns an
// http.Server that answers DynamoDB's JSON API).
declare module "dynalite" {
  import type { Server } from "node:http";

  interface DynaliteOptions {
    /** Milliseconds a table stays CREATING / DELETING / UPDATING (default 500). */
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    /** A LevelDB directory; in memory without. */
    path?: string;
  }

  export default function dynalite(options?: DynaliteOptions): Server;
}
