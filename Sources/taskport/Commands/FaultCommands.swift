import ArgumentParser
import Foundation
import TaskportCore

struct FaultCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faults",
        abstract: "Make some of a tenant's requests slow or failing on purpose. Servers read new rules within a second.",
        subcommands: [List.self, Add.self, Remove.self]
    )

    /// One line per rule: id, what it matches, what it does, its count, share and window.
    static func line(_ rule: FaultRule) -> String {
        let match = rule.match
        return [
            rule.id.lowercasedText, match.surface ?? "*", match.method ?? "*", match.path ?? "*", match.credential ?? "*",
            rule.effect.summary, rule.remaining.map { "\($0) left" } ?? "every", rule.share == 1 ? "all" : "share \(rule.share)",
            rule.startsAt.map { "from \($0.rfc3339)" } ?? "", rule.endsAt.map { "until \($0.rfc3339)" } ?? "",
        ].joined(separator: "\t")
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tenant's rules, oldest first.")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption

        func run() async throws {
            let (database, tenantID) = try await tenant.open(store)
            for rule in try await database.faultRules(in: tenantID) { print(FaultCommand.line(rule)) }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a rule; prints its id.",
            discussion: "taskport faults add --tenant acme --surface rollout --method PUT --path '/api/tasks/*' --status 503 --count 2"
        )
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @Option(help: "native, rollout, nexudus, thena or maxsight.") var surface: String?
        @Option(help: "An HTTP method, such as PUT.") var method: String?
        @Option(help: "A path pattern; * stands for any run of characters.") var path: String?
        @Option(help: "A credential's public name, as the journal shows it.") var credential: String?
        @Option(help: "Wait this many milliseconds, then answer as usual.") var latency: Int?
        @Option(help: "Answer 429, 500, 502, 503 or 504 in the surface's own error format.") var status: Int?
        @Option(help: "The Retry-After seconds of that answer (1 for 429 and 503 when absent).") var retryAfter: Int?
        @Flag(help: "Close the connection without an answer.") var drop = false
        @Option(help: "Act on this many matching requests, then no more.") var count: Int?
        @Option(help: "Act on this share of matching requests (above 0, at most 1).") var share: Double = 1
        @Option(help: "Start acting this many seconds from now.") var after: Int?
        @Option(help: "Stop acting this many seconds after it starts.") var lasting: Int?

        func run() async throws {
            let effects = [latency.map { FaultRule.Effect.latency(milliseconds: $0) }, status.map { .status(code: $0, retryAfter: retryAfter) },
                           drop ? .drop : nil].compactMap { $0 }
            guard effects.count == 1, let effect = effects.first else { throw ValidationError("Give exactly one of --latency, --status and --drop") }
            guard (after ?? 0) >= 0, (lasting ?? 1) > 0, (after ?? 0) <= 31_536_000, (lasting ?? 1) <= 31_536_000 else {
                throw ValidationError("--after is 0 or more and --lasting more than 0 seconds, each at most a year")
            }
            let (database, tenantID) = try await tenant.open(store)
            let now = Timestamp.now().microseconds
            let starts = now + Int64(after ?? 0) * 1_000_000
            let rule = FaultRule(
                tenantID: tenantID, match: .init(surface: surface, method: method, path: path, credential: credential), effect: effect,
                remaining: count, share: share, startsAt: after.map { _ in Timestamp(microseconds: starts) },
                endsAt: lasting.map { Timestamp(microseconds: starts + Int64($0) * 1_000_000) }
            )
            if let problem = rule.problems.first { throw ValidationError("\(problem.field): \(problem.message)") }
            try await database.addFaultRule(rule)
            print(rule.id.lowercasedText)
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a rule by its id.")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @Argument(help: "The rule's id.") var id: String

        func run() async throws {
            let (database, tenantID) = try await tenant.open(store)
            guard let rule = UUID(text: id), try await database.removeFaultRule(rule, in: tenantID) else {
                throw ValidationError("No fault rule '\(id)' in this tenant")
            }
        }
    }
}
