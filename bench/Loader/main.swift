// Fills a Taskport database with synthetic tasks through the store (not HTTP), for benchmarks.
// Usage: taskport-loader DATABASE TENANT COUNT, DATABASE a SQLite file or a postgres:// URL.
import Foundation
import TaskportCore
import TaskportPostgres
import TaskportSQLite

let arguments = CommandLine.arguments
guard arguments.count == 4, let count = Int(arguments[3]), count > 0 else {
    FileHandle.standardError.write(Data("usage: taskport-loader DATABASE TENANT COUNT\n".utf8))
    exit(2)
}
let store: any TaskportStore = arguments[1].hasPrefix("postgres")
    ? try await PostgresStore.connect(url: arguments[1], maximumConnections: 16)
    : try SQLiteStore(path: arguments[1], durability: .normal)
guard let tenant = try await store.tenant(named: arguments[2]), let user = try await store.users(in: tenant.id).first else {
    FileHandle.standardError.write(Data("no tenant '\(arguments[2])' with a user\n".utf8))
    exit(1)
}
let actor = Actor(userID: user.id, name: user.email, surface: "cli")
let started = Date()
// Writes in flight together share transactions (SQLite's group commit) or connections (PostgreSQL's pool).
try await withThrowingTaskGroup(of: Void.self) { group in
    for index in 0..<count {
        if index >= 256 { try await group.next() }
        group.addTask {
            var content = TaskContent(title: "Synthetic task \(index)")
            content.dueAt = Timestamp(microseconds: Timestamp.now().microseconds + Int64(index % 30) * 86_400_000_000)
            _ = try await store.create(TaskCreation(tenantID: tenant.id, content: content, actor: actor))
        }
    }
    try await group.waitForAll()
}
print("loaded \(count) tasks in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
