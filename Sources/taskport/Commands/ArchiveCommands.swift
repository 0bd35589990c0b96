import ArgumentParser
import Foundation
import TaskportCore

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a tenant as JSON Lines: its directory, configuration, tasks and their history.",
        discussion: "The file holds password and API-key hashes and webhook secrets: keep it as safe as the database."
    )
    @OptionGroup var store: DatabaseOptions
    @OptionGroup var tenant: TenantOption
    @Option(help: "The file to write; standard output without it.") var output: String?

    func run() async throws {
        let database = try await store.open()
        let file: FileHandle
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: nil) else { throw ValidationError("Cannot write \(output)") }
            file = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        } else {
            file = FileHandle.standardOutput
        }
        try await TenantArchive.export(tenantNamed: tenant.tenant, from: database) { line in
            try file.write(contentsOf: Data((line + "\n").utf8))
        }
        try file.synchronize()
    }
}

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Read a tenant that `taskport export` wrote into this database, all or nothing.",
        discussion: "Its ids, numbers and name must be free here. Tokens signed by the old store are not valid here: issue new ones."
    )
    @OptionGroup var store: DatabaseOptions
    @Option(help: "The file to read; standard input without it.") var input: String?

    func run() async throws {
        let data = try input.map { try Data(contentsOf: URL(fileURLWithPath: $0)) } ?? FileHandle.standardInput.readToEnd() ?? Data()
        let text = String(decoding: data, as: UTF8.self)
        let name = try await TenantArchive.import(lines: text.split(separator: "\n", omittingEmptySubsequences: false), into: try await store.open())
        print("Imported tenant '\(name)' into \(store.displayName).")
    }
}
