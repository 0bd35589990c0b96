#ifndef TASKPORT_SQLITE_SETTINGS_H
#define TASKPORT_SQLITE_SETTINGS_H

/// Turns off SQLite's memory statistics for the whole process (`SQLITE_CONFIG_MEMSTATUS`, 0): with
/// them on, every allocation and free inside SQLite takes one process-wide mutex. Returns SQLite's
/// result code: `SQLITE_OK`, or `SQLITE_MISUSE` once SQLite has started in this process, when the
/// setting can no longer change. `sqlite3_config` takes variable arguments, which Swift cannot pass.
int taskport_sqlite_disable_memory_statistics(void);

#endif
