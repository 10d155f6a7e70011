/**
 * Numbered schema migrations. Append only: never edit a migration that has shipped,
 * add a new one. `user_version` records how far a library file has been migrated.
 */
export interface Migration {
  version: number
  name: string
  sql: string
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'image library',
    sql: `
      CREATE TABLE datasets (
        id          INTEGER PRIMARY KEY,
        name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
        created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
      );

      -- A label ("class") of one dataset.
      CREATE TABLE labels (
        id          INTEGER PRIMARY KEY,
        dataset_id  INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        name        TEXT NOT NULL,
        created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        UNIQUE (dataset_id, name)
      );

      CREATE TABLE images (
        id           INTEGER PRIMARY KEY,
        dataset_id   INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        source_path  TEXT NOT NULL,
        hash         TEXT NOT NULL,            -- sha256 of the file bytes, hex
        width        INTEGER NOT NULL,         -- after EXIF orientation
        height       INTEGER NOT NULL,
        format       TEXT NOT NULL,            -- jpeg, png, webp, gif, tiff, heif, bmp...
        bytes        INTEGER NOT NULL,
        label_id     INTEGER REFERENCES labels(id) ON DELETE SET NULL,
        split        TEXT NOT NULL DEFAULT 'unassigned'
                     CHECK (split IN ('unassigned', 'train', 'validation', 'test')),
        split_locked INTEGER NOT NULL DEFAULT 0 CHECK (split_locked IN (0, 1)), -- manual override survives re-split
        status       TEXT NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'missing')),
        imported_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        UNIQUE (dataset_id, hash)
      );
      CREATE INDEX images_by_label ON images(dataset_id, label_id);
      CREATE INDEX images_by_split ON images(dataset_id, split);
      CREATE INDEX images_by_path ON images(dataset_id, source_path);

      -- Training: filled by the trainer. One run trains a group of networks together.
      CREATE TABLE runs (
        id          INTEGER PRIMARY KEY,
        dataset_id  INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        status      TEXT NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'running', 'completed', 'cancelled', 'failed', 'interrupted')),
        config_json TEXT NOT NULL,
        labels_json TEXT NOT NULL,             -- label names in class-index order, frozen at start
        backend     TEXT,
        message     TEXT,
        created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        started_at  TEXT,
        finished_at TEXT
      );

      CREATE TABLE networks (
        id          INTEGER PRIMARY KEY,
        run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        idx         INTEGER NOT NULL,          -- position in the group
        arch        TEXT NOT NULL,
        params      INTEGER,
        flops       INTEGER,
        UNIQUE (run_id, idx)
      );

      CREATE TABLE epochs (
        id            INTEGER PRIMARY KEY,
        run_id        INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        epoch         INTEGER NOT NULL,
        metrics_json  TEXT NOT NULL,           -- per-network and teacher metrics, fusion weights, lr, seconds
        created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        UNIQUE (run_id, epoch)
      );

      -- A trained network's weights as saved on disk (checkpoint or export).
      CREATE TABLE models (
        id          INTEGER PRIMARY KEY,
        run_id      INTEGER REFERENCES runs(id) ON DELETE CASCADE,
        network_idx INTEGER,
        kind        TEXT NOT NULL CHECK (kind IN ('checkpoint', 'final', 'imported')),
        path        TEXT NOT NULL,
        epoch       INTEGER,
        created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
      );
    `,
  },
  {
    version: 2,
    name: 'labelling history',
    sql: `
      -- One undoable labelling action (label, split override, CSV apply). Kept per dataset so a
      -- new CLI process can undo what the app did. Undone entries form the redo stack.
      CREATE TABLE history (
        id          INTEGER PRIMARY KEY,
        dataset_id  INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        description TEXT NOT NULL,
        undone      INTEGER NOT NULL DEFAULT 0 CHECK (undone IN (0, 1)),
        created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
      );
      CREATE INDEX history_by_dataset ON history(dataset_id, undone, id);

      -- What one action changed on one image. Label ids are not foreign keys: deleting or merging
      -- a label clears the dataset's history instead (images.label_id's own key still guards undo).
      CREATE TABLE history_changes (
        history_id    INTEGER NOT NULL REFERENCES history(id) ON DELETE CASCADE,
        image_id      INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        sets_label    INTEGER NOT NULL CHECK (sets_label IN (0, 1)),
        label_before  INTEGER,
        label_after   INTEGER,
        sets_split    INTEGER NOT NULL CHECK (sets_split IN (0, 1)),
        split_before  TEXT,
        split_after   TEXT,
        locked_before INTEGER,
        locked_after  INTEGER,
        PRIMARY KEY (history_id, image_id)
      ) WITHOUT ROWID;
      -- deleting an image must not scan every recorded change
      CREATE INDEX history_changes_by_image ON history_changes(image_id);

      -- the grid pages through a dataset in id order: these keep every filter free of sorting
      CREATE INDEX images_by_dataset ON images(dataset_id);
      CREATE INDEX images_by_status ON images(dataset_id, status);
    `,
  },
  {
    version: 3,
    name: 'ids never reused, run identity',
    sql: `
      -- The highest id ever given out per table. INTEGER PRIMARY KEY alone hands a deleted row's id to
      -- the next insert, and a new run must never meet a deleted run's folder on disk. (SQLite cannot
      -- add AUTOINCREMENT to an existing table, and rebuilding runs would cascade into its children.)
      CREATE TABLE id_high_water (
        name     TEXT PRIMARY KEY CHECK (name IN ('datasets', 'runs')),
        last_id  INTEGER NOT NULL
      ) WITHOUT ROWID;
      INSERT INTO id_high_water (name, last_id) SELECT 'datasets', COALESCE(MAX(id), 0) FROM datasets;
      INSERT INTO id_high_water (name, last_id) SELECT 'runs', COALESCE(MAX(id), 0) FROM runs;

      -- A random identity written into every checkpoint of the run, so a run resumes only what it wrote.
      -- NULL for runs made before this migration (their checkpoints carry none either).
      ALTER TABLE runs ADD COLUMN uid TEXT;
    `,
  },
  {
    version: 4,
    name: 'stable label keys',
    sql: `
      -- The key (1-9) that gives a picture this label, in every view. Kept per label so creating a label
      -- never renumbers the others; NULL for labels past the ninth (the palette reaches them).
      ALTER TABLE labels ADD COLUMN key INTEGER CHECK (key BETWEEN 1 AND 9);
      -- existing libraries keep the keys they had: the first nine labels in name order
      UPDATE labels SET key = 1 + (SELECT COUNT(*) FROM labels o
                                    WHERE o.dataset_id = labels.dataset_id AND o.name < labels.name)
       WHERE (SELECT COUNT(*) FROM labels o
               WHERE o.dataset_id = labels.dataset_id AND o.name < labels.name) < 9;
      CREATE UNIQUE INDEX labels_by_key ON labels(dataset_id, key) WHERE key IS NOT NULL;
    `,
  },
  {
    version: 5,
    name: 'suggested labels',
    sql: `
      -- A run's suggested label for an unlabelled picture of its dataset (never a training label until the
      -- person accepts it). label NULL: the picture could not be read (error says why), so it is not retried.
      CREATE TABLE suggestions (
        run_id        INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        image_id      INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        label         TEXT,                   -- one of the run's class names
        confidence    REAL NOT NULL DEFAULT 0, -- the ensemble's probability of that label
        agree         INTEGER NOT NULL DEFAULT 0 CHECK (agree IN (0, 1)), -- every network's top label is it
        probabilities BLOB,                   -- float32, networks × classes: what the orderings rank by
        error         TEXT,
        PRIMARY KEY (run_id, image_id)
      ) WITHOUT ROWID;
      CREATE INDEX suggestions_by_image ON suggestions(image_id);
    `,
  },
  {
    version: 6,
    name: 'chosen label colours',
    sql: `
      -- The colour the person chose for the label (one of the app's palette, checked by the store);
      -- NULL: the label's default colour, picked by its id.
      ALTER TABLE labels ADD COLUMN colour TEXT;
    `,
  },
  {
    version: 7,
    name: 'warm-started runs',
    sql: `
      -- The run whose kept weights this run started from (issue 19: retrain from the last run); NULL when it
      -- started from scratch, or once that run is deleted.
      ALTER TABLE runs ADD COLUMN from_run INTEGER REFERENCES runs(id) ON DELETE SET NULL;
    `,
  },
  {
    version: 8,
    name: 'the kept model’s figures',
    sql: `
      -- A completed run keeps each network's best validated epoch, not its last: what those weights measure
      -- together (EpochMetrics JSON) is what Results shows. NULL until the run completes, and for older runs.
      ALTER TABLE runs ADD COLUMN kept_metrics_json TEXT;
    `,
  },
]
