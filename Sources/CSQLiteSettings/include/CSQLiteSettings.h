#ifndef TASKPORT_SQLITE_SETTINGS_H
#define TASKPORT_SQLITE_SETTINGS_H

/// Process-wide SQLite settings, made before SQLite starts in the process. Each returns SQLite's
/// result code: `SQLITE_OK`, or `SQLITE_MISUSE` once SQLite has started, when settings can no longer
/// change. `sqlite3_config` takes variable arguments, which Swift cannot pass.

/// Memory statistics off (`SQLITE_CONFIG_MEMSTATUS`, 0): with them on, every allocation and free
/// inside SQLite takes one process-wide mutex.
int taskport_sqlite_disable_memory_statistics(void);

/// Connections without a mutex of their own (`SQLITE_CONFIG_MULTITHREAD`), for connections that are
/// only ever used by one thread at a time.
int taskport_sqlite_use_multithread_mode(void);

#endif
