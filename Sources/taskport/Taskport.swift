import ArgumentParser
import Foundation
import TaskportCore
import TaskportHTTP

@main
struct Taskport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A self-hosted task service that speaks the Rollout, Nexudus, Thena and Maxsight task APIs.",
        subcommands: [
            Serve.self, Migrate.self, TenantCommand.self, UserCommand.self, TeamCommand.self, APIKeyCommand.self,
            RolloutCommand.self, AccountCommand.self, CustomerCommand.self, BusinessCommand.self, ActivityCommand.self,
            AttributeCommand.self, WebhookCommand.self, OutboxCommand.self, JournalCommand.self, FaultCommand.self, SnapshotCommand.self, ExportCommand.self, ImportCommand.self, Backup.self, Doctor.self,
        ],
        defaultSubcommand: Serve.self
    )

    /// Every command logs through the redacting handler, so no credential reaches a log line.
    static func main() async {
        do {
            var command = try parseAsRoot()
            let format = (command as? Serve)?.logFormat ?? environment("TASKPORT_LOG_FORMAT").flatMap(LogFormat.init) ?? .text
            RedactingLogHandler.bootstrap(format)
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
