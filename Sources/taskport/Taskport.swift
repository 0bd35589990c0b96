import ArgumentParser
import Foundation
import TaskportCore
import TaskportHTTP

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

    /// Runs the command the arguments name. Every command logs through the redacting handler, so no
    /// credential reaches a log line.
    static func runCommand() async {
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

/// The process's entry point. The main thread waits for the command instead of handing itself to
/// an async main's dispatch loop, so that the process also runs under valgrind (3.19 crashes on any
/// Swift async main), which is how `bench/instructions` counts an update's instructions. Nothing in
/// Taskport runs on the main actor.
@main
enum Entry {
    static func main() {
        let finished = DispatchSemaphore(value: 0)
        // Detached: a task made here would otherwise belong to the main actor, whose thread waits.
        Task.detached {
            await Taskport.runCommand()
            finished.signal()
        }
        finished.wait()
    }
}
