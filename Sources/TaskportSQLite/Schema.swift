import GRDB

/// The SQLite schema as named migrations. A migration that has landed is never edited;
/// changes come as new migrations appended below.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: tenants, directory, tasks, audit, outbox") { db in
            try db.execute(sql: v1)
        }
        migrator.registerMigration("v2: connected credentials") { db in
            try db.execute(sql: v2)
        }
        migrator.registerMigration("v3: who assigned a task, and why") { db in
            try db.execute(sql: v3)
        }
        migrator.registerMigration("v4: accounts, activities, task attributes") { db in
            try db.execute(sql: v4)
        }
        migrator.registerMigration("v5: numbers for users and accounts, businesses, passwords, refresh tokens") { db in
            try db.execute(sql: v5)
        }
        migrator.registerMigration("v6: webhooks, delivery bookkeeping, reminders") { db in
            try db.execute(sql: v6)
        }
        migrator.registerMigration("v7: token generations, disabled and deleted users") { db in
            try db.execute(sql: v7)
        }
        migrator.registerMigration("v8: console sessions") { db in
            try db.execute(sql: v8)
        }
        migrator.registerMigration("v9: API keys' prefixes and last use") { db in
            try db.execute(sql: v9)
        }
        migrator.registerMigration("v10: the outbox listed in pages") { db in
            try db.execute(sql: v10)
        }
        migrator.registerMigration("v11: sent messages by when they were sent") { db in
            try db.execute(sql: v11)
        }
        migrator.registerMigration("v12: the request journal") { db in
            try db.execute(sql: v12)
        }
        migrator.registerMigration("v13: fault rules, snapshots, faults in the journal") { db in
            try db.execute(sql: v13)
        }
        return migrator
    }

    // Instants are INTEGER microseconds since the Unix epoch; UUIDs are lowercase TEXT.
    private static let v1 = """
        CREATE TABLE tenants (
            id TEXT PRIMARY KEY NOT NULL,
            name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
            created_at INTEGER NOT NULL
        );
        CREATE TABLE users (
            id TEXT PRIMARY KEY NOT NULL,
            tenant_id TEXT NOT NULL REFERENCES tenants(id),
            email TEXT NOT NULL CHECK (length(email) BETWEEN 3 AND 320),
            name TEXT NOT NULL,
            roles TEXT NOT NULL DEFAULT '[]',
            created_at INTEGER NOT NULL,
            UNIQUE (tenant_id, email)
        );
        CREATE TABLE teams (
            id TEXT PRIMARY KEY NOT NULL,
            tenant_id TEXT NOT NULL REFERENCES tenants(id),
            name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
            created_at INTEGER NOT NULL,
            UNIQUE (tenant_id, name)
        );
        CREATE TABLE team_members (
            team_id TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            PRIMARY KEY (team_id, user_id)
        ) WITHOUT ROWID;
        CREATE TABLE api_keys (
            id TEXT PRIMARY KEY NOT NULL,
            tenant_id TEXT NOT NULL REFERENCES tenants(id),
            user_id TEXT NOT NULL REFERENCES users(id),
            name TEXT NOT NULL,
            secret_hash TEXT NOT NULL UNIQUE,
            created_at INTEGER NOT NULL,
            revoked_at INTEGER
        );
        CREATE TABLE secrets (
            name TEXT PRIMARY KEY NOT NULL,
            value TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE tasks (
            number INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            tenant_id TEXT NOT NULL REFERENCES tenants(id),
            title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
            notes TEXT,
            type TEXT,
            status TEXT,
            priority TEXT,
            completed INTEGER NOT NULL CHECK (completed IN (0, 1)),
            due_at INTEGER,
            time_zone TEXT,
            subject_id TEXT,
            scope_id TEXT,
            assignee_user_id TEXT REFERENCES users(id),
            assignee_team_id TEXT REFERENCES teams(id),
            responsible_id TEXT REFERENCES users(id),
            creator_id TEXT REFERENCES users(id),
            attachments TEXT NOT NULL DEFAULT '[]',
            metadata TEXT NOT NULL DEFAULT '{}',
            notify_by_email INTEGER NOT NULL CHECK (notify_by_email IN (0, 1)),
            reminded INTEGER NOT NULL CHECK (reminded IN (0, 1)),
            visible_to_everyone INTEGER NOT NULL CHECK (visible_to_everyone IN (0, 1)),
            version INTEGER NOT NULL CHECK (version >= 1),
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            deleted_at INTEGER,
            CHECK (assignee_user_id IS NULL OR assignee_team_id IS NULL)
        );
        CREATE INDEX tasks_by_tenant ON tasks (tenant_id, number) WHERE deleted_at IS NULL;
        CREATE INDEX tasks_by_tenant_updated ON tasks (tenant_id, updated_at) WHERE deleted_at IS NULL;
        CREATE TABLE audit_entries (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            tenant_id TEXT NOT NULL REFERENCES tenants(id),
            task_id TEXT NOT NULL REFERENCES tasks(id),
            version INTEGER NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('created', 'updated', 'deleted')),
            at INTEGER NOT NULL,
            actor_id TEXT,
            actor_name TEXT NOT NULL,
            surface TEXT NOT NULL,
            changes TEXT NOT NULL,
            comment TEXT,
            UNIQUE (task_id, version)
        );
        CREATE TABLE outbox_messages (
            id TEXT PRIMARY KEY NOT NULL,
            tenant_id TEXT NOT NULL REFERENCES tenants(id),
            task_id TEXT REFERENCES tasks(id),
            channel TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),
            recipient TEXT NOT NULL,
            event TEXT NOT NULL,
            payload TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            available_at INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'dead')),
            last_error TEXT,
            lease_until INTEGER
        );
        CREATE INDEX outbox_due ON outbox_messages (available_at) WHERE state = 'pending';
        """

    /// Credentials a surface's clients name on each call (Rollout's `X-Rollout-Credential-Id`).
    private static let v2 = """
        CREATE TABLE credentials (
            id TEXT PRIMARY KEY NOT NULL,
            tenant_id TEXT NOT NULL REFERENCES tenants(id),
            surface TEXT NOT NULL,
            name TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            revoked_at INTEGER
        );
        CREATE INDEX credentials_by_tenant ON credentials (tenant_id, surface);
        """

    private static let v3 = """
        ALTER TABLE tasks ADD COLUMN assigned_by_id TEXT REFERENCES users(id);
        ALTER TABLE tasks ADD COLUMN assignment_comment TEXT;
        """

    private static let v4 = """
        CREATE TABLE accounts (
            id TEXT PRIMARY KEY NOT NULL,
            tenant_id TEXT NOT NULL REFERENCES tenants(id),
            name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
            created_at INTEGER NOT NULL,
            UNIQUE (tenant_id, name)
        );
        CREATE TABLE activities (
            id TEXT PRIMARY KEY NOT NULL,
            tenant_id TEXT NOT NULL REFERENCES tenants(id),
            account_id TEXT REFERENCES accounts(id),
            name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
            created_at INTEGER NOT NULL
        );
        CREATE TABLE task_attributes (
            id TEXT PRIMARY KEY NOT NULL,
            tenant_id TEXT NOT NULL REFERENCES tenants(id),
            kind TEXT NOT NULL CHECK (kind IN ('type', 'status', 'priority')),
            value TEXT NOT NULL CHECK (length(value) BETWEEN 1 AND 100),
            configuration TEXT NOT NULL DEFAULT '{}',
            created_at INTEGER NOT NULL
        );
        CREATE UNIQUE INDEX task_attributes_value ON task_attributes (tenant_id, kind, lower(value));
        ALTER TABLE tasks ADD COLUMN activity_id TEXT REFERENCES activities(id);
        """

    /// Integer numbers for surfaces that name users and customers by number (kept equal to the
    /// rowid for existing rows); businesses with their time zones; password hashes and refresh
    /// tokens for the OAuth2 token endpoint; who changed a task last; task-list items and
    /// client-side ids.
    private static let v5 = """
        ALTER TABLE users ADD COLUMN number INTEGER;
        UPDATE users SET number = rowid;
        CREATE UNIQUE INDEX users_by_number ON users (number);
        ALTER TABLE users ADD COLUMN password_hash TEXT;
        ALTER TABLE accounts ADD COLUMN number INTEGER;
        UPDATE accounts SET number = rowid;
        CREATE UNIQUE INDEX accounts_by_number ON accounts (number);
        CREATE TABLE businesses (
            number INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            tenant_id TEXT NOT NULL REFERENCES tenants(id),
            name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
            time_zone TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            UNIQUE (tenant_id, name)
        );
        CREATE TABLE refresh_tokens (
            token_hash TEXT PRIMARY KEY NOT NULL,
            tenant_id TEXT NOT NULL REFERENCES tenants(id),
            user_id TEXT NOT NULL REFERENCES users(id),
            expires_at INTEGER NOT NULL,
            created_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        ALTER TABLE tasks ADD COLUMN updated_by TEXT;
        UPDATE tasks SET updated_by = (
            SELECT actor_name FROM audit_entries WHERE task_id = tasks.id ORDER BY version DESC LIMIT 1
        );
        ALTER TABLE tasks ADD COLUMN list_item_id TEXT;
        ALTER TABLE tasks ADD COLUMN external_id TEXT;
        CREATE INDEX tasks_by_tenant_due ON tasks (tenant_id, due_at) WHERE deleted_at IS NULL;
        """

    private static let v6 = """
        CREATE TABLE webhooks (
            id TEXT PRIMARY KEY NOT NULL,
            tenant_id TEXT NOT NULL REFERENCES tenants(id),
            url TEXT NOT NULL CHECK (length(url) BETWEEN 1 AND 2000),
            secret TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            deleted_at INTEGER
        );
        CREATE INDEX webhooks_by_tenant ON webhooks (tenant_id) WHERE deleted_at IS NULL;
        ALTER TABLE outbox_messages ADD COLUMN sent_at INTEGER;
        CREATE INDEX outbox_by_tenant ON outbox_messages (tenant_id, state, created_at);
        CREATE INDEX tasks_owing_reminders ON tasks (due_at)
            WHERE notify_by_email = 1 AND reminded = 0 AND deleted_at IS NULL AND responsible_id IS NOT NULL;
        """

    /// A user's token generation (every token carries the one it was issued in), and disabled or
    /// deleted users, whose credentials all fail.
    private static let v7 = """
        ALTER TABLE users ADD COLUMN token_generation INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE users ADD COLUMN disabled_at INTEGER;
        ALTER TABLE users ADD COLUMN deleted_at INTEGER;
        """

    /// Console sign-ins, by the SHA-256 of the session cookie; a session lives in the user's token
    /// generation, so a new password or a disabled user ends it.
    private static let v8 = """
        CREATE TABLE console_sessions (
            session_hash TEXT PRIMARY KEY NOT NULL,
            tenant_id TEXT NOT NULL REFERENCES tenants(id),
            user_id TEXT NOT NULL REFERENCES users(id),
            token_generation INTEGER NOT NULL,
            csrf_token TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            last_seen_at INTEGER NOT NULL
        );
        CREATE INDEX console_sessions_by_seen ON console_sessions (last_seen_at);
        """

    /// The first characters of each new API key, to tell keys apart by, and when each was last used
    /// (to the minute).
    private static let v9 = """
        ALTER TABLE api_keys ADD COLUMN key_prefix TEXT;
        ALTER TABLE api_keys ADD COLUMN last_used_at INTEGER;
        """

    /// The outbox's list order, so that a page deep into a large outbox is a range read.
    private static let v10 = """
        CREATE INDEX outbox_by_tenant_order ON outbox_messages (tenant_id, created_at, id);
        """

    /// Sent messages by when they were sent, so that retention finds the old ones without reading the rest.
    private static let v11 = """
        CREATE INDEX outbox_sent ON outbox_messages (sent_at) WHERE state = 'sent';
        """

    /// Every request of a tenant as the journal keeps it, newest last by id.
    private static let v12 = """
        CREATE TABLE journal_entries (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            tenant_id TEXT NOT NULL REFERENCES tenants(id),
            at INTEGER NOT NULL,
            request_id TEXT NOT NULL,
            surface TEXT NOT NULL,
            method TEXT NOT NULL,
            target TEXT NOT NULL,
            route TEXT NOT NULL,
            status INTEGER NOT NULL,
            latency_us INTEGER NOT NULL,
            credential TEXT NOT NULL,
            user_number INTEGER NOT NULL,
            task_id TEXT,
            request_headers TEXT NOT NULL,
            response_headers TEXT NOT NULL,
            request_body TEXT NOT NULL,
            request_length INTEGER NOT NULL,
            request_truncated INTEGER NOT NULL,
            response_body TEXT NOT NULL,
            response_length INTEGER NOT NULL,
            response_truncated INTEGER NOT NULL
        );
        CREATE INDEX journal_by_tenant ON journal_entries (tenant_id, id);
        """

    /// Fault rules (what they match and do as one JSON document; the count left apart, so that it
    /// is spent in place), saved snapshots of a tenant (its archive as JSON Lines), and what fault
    /// rules did to a journaled request.
    private static let v13 = """
        CREATE TABLE fault_rules (
            id TEXT PRIMARY KEY NOT NULL,
            tenant_id TEXT NOT NULL REFERENCES tenants(id),
            created_at INTEGER NOT NULL,
            remaining INTEGER,
            rule TEXT NOT NULL
        );
        CREATE INDEX fault_rules_by_tenant ON fault_rules (tenant_id, created_at);
        CREATE TABLE snapshots (
            tenant_id TEXT NOT NULL REFERENCES tenants(id),
            name TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            tasks INTEGER NOT NULL,
            archive TEXT NOT NULL,
            PRIMARY KEY (tenant_id, name)
        );
        ALTER TABLE journal_entries ADD COLUMN fault TEXT;
        """
}
