#!/usr/bin/env bash
# WAL pages written per message by the column order of the messages table's
# idempotency index, in SQLite alone (the sqlite3 shell: `apt install sqlite3`).
#
# Each transaction inserts BATCH messages between random members of 100 pairs,
# as the committer applies them at ~4,000 msg/s (100 ms of them). Client ids
# lead with the time (the batch number here), as the web client's UUIDv7s do.
# With the index led by the sender, a batch touches one leaf page per sender
# (200 here); led by the client id, the new entries sort together at its end.
# The schema is the messages table's columns that matter for the pages.
#
#   bench/store/index_order.sh              # BATCH=400 ROUNDS=100 PREFILL=250
#   CONVERSATION_INDEX=0 bench/store/index_order.sh
set -euo pipefail
BATCH=${BATCH:-400}; ROUNDS=${ROUNDS:-100}; PREFILL=${PREFILL:-250}
# CONVERSATION_INDEX=0 leaves out the (conversation_id, id) index, to see its share.
conversation_index="CREATE INDEX messages_conversation_idx ON messages (conversation_id, id);"
[[ ${CONVERSATION_INDEX:-1} == 0 ]] && conversation_index=""
run() {
  local label=$1 unique="" db; db=$(mktemp -d)/m.db
  [[ $label == none ]] || unique=", UNIQUE ($label)"
  sqlite3 "$db" >/dev/null <<SQL
PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; PRAGMA wal_autocheckpoint=0; PRAGMA cache_size=-65536;
CREATE TABLE messages (id TEXT PRIMARY KEY NOT NULL, conversation_id TEXT NOT NULL, from_id TEXT NOT NULL,
  to_id TEXT NOT NULL, text TEXT, client_id TEXT, delivered_ms INTEGER, created_ms INTEGER NOT NULL $unique);
$conversation_index
CREATE TABLE batches (n INTEGER);
SQL
  local sql="" b
  batch() {  # one transaction of $BATCH messages between random members of 100 pairs
    echo "BEGIN; INSERT INTO messages SELECT printf('%024x', (SELECT count(*) FROM messages) + value), printf('c%023d', pair),
      printf('u%023d', 2 * pair + side), printf('u%023d', 2 * pair + 1 - side), 'hello there, how are you',
      printf('%08d%04d', $1, value), 1, 1 FROM (SELECT value, abs(random()) % 100 AS pair, abs(random()) % 2 AS side
      FROM generate_series(1, $BATCH)) ORDER BY value; COMMIT;"
  }
  { echo "PRAGMA synchronous=OFF; PRAGMA wal_autocheckpoint=0; PRAGMA cache_size=-65536;"
    for ((b = 1; b <= PREFILL; b++)); do batch $b; done; echo "PRAGMA wal_checkpoint(TRUNCATE);"
    for ((b = PREFILL + 1; b <= PREFILL + ROUNDS; b++)); do batch $b; done
    echo "PRAGMA wal_checkpoint;"; } | sqlite3 "$db" | tail -1 |
    awk -F'|' -v n=$((BATCH * ROUNDS)) -v u="$label" '{printf "index %-20s %.3f WAL pages per message\n", u, $2 / n}'
  rm -rf "$(dirname "$db")"
}
run "from_id, client_id"   # as the store has it now
run "client_id, from_id"
run none                   # the floor: no idempotency index
