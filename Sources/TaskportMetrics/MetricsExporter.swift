public import CoreMetrics
import Foundation
public import Hummingbird
import Prometheus
public import TaskportCore

/// Taskport's metrics in the Prometheus text format, through swift-metrics: what the HTTP layer,
/// the stores and the delivery worker record as it happens (give them `factory`), and what is read
/// when a scrape asks (the outbox backlog, the write-ahead log, the process's memory and files).
///
/// Each exporter has its own registry, so two servers in one process never mix their counts.
public final class MetricsExporter: Sendable {
    /// The factory every part of the server records through.
    public let factory: any MetricsFactory
    private let registry: PrometheusCollectorRegistry
    private let unsent: [OutboxMessage.Channel: [OutboxState: Meter]]
    private let oldestPending: Meter
    private let logBytes: Meter
    private let storeAnswered: Meter
    private let residentBytes: Meter
    private let openFiles: Meter

    /// Histogram buckets for the durations Taskport measures: requests and commits take from a
    /// fraction of a millisecond to seconds.
    static let durationBuckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    public init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = Self.durationBuckets
        factory.valueHistogramBuckets["taskport_sqlite_commit_batch_size"] = [1, 2, 4, 8, 16, 32, 64, 128, 256]
        self.registry = registry
        self.factory = factory
        let states: [OutboxState] = [.pending, .dead]
        unsent = Dictionary(uniqueKeysWithValues: OutboxMessage.Channel.allCases.map { channel in
            (channel, Dictionary(uniqueKeysWithValues: states.map { state in
                (state, Meter(label: "taskport_outbox_messages", dimensions: [("channel", channel.rawValue), ("state", state.rawValue)], factory: factory))
            }))
        })
        oldestPending = Meter(label: "taskport_outbox_oldest_pending_seconds", factory: factory)
        logBytes = Meter(label: "taskport_sqlite_wal_bytes", factory: factory)
        storeAnswered = Meter(label: "taskport_store_up", factory: factory)
        residentBytes = Meter(label: "process_resident_memory_bytes", factory: factory)
        openFiles = Meter(label: "process_open_fds", factory: factory)
    }

    /// Reads what is read at scrape time (from `store`, the outbox backlog and the log's size),
    /// then writes every metric in the text format.
    public func scrape(store: (any StoreDiagnostics)?) async -> [UInt8] {
        if let store {
            do {
                let gauges = try await store.gauges()
                for (channel, states) in unsent {
                    for (state, meter) in states { meter.set(gauges.unsent[channel]?[state] ?? 0) }
                }
                let oldest = gauges.oldestPending.map { Double(Timestamp.now().microseconds - $0.microseconds) / 1_000_000 }
                oldestPending.set(max(oldest ?? 0, 0))
                if let bytes = gauges.logBytes { logBytes.set(bytes) }
                storeAnswered.set(1)
            } catch {
                // A store that does not answer leaves its last readings, and says so.
                storeAnswered.set(0)
            }
        }
        let process = ProcessReadings.now()
        if let bytes = process.residentBytes { residentBytes.set(bytes) }
        if let files = process.openFiles { openFiles.set(files) }
        return registry.emitToBuffer()
    }

    /// Adds `GET /metrics` to `router`, reading `store` at each scrape.
    public func register<Context: RequestContext>(on router: Router<Context>, store: (any StoreDiagnostics)?) {
        router.get("/metrics") { _, _ -> Response in
            let text = await self.scrape(store: store)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: text))
            )
        }
    }
}
