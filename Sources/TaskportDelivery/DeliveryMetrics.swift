import CoreMetrics
import TaskportCore

/// What the delivery worker counts, per channel: every attempt, and the attempts that failed.
struct DeliveryMetrics: Sendable {
    private let attempts: [OutboxMessage.Channel: Counter]
    private let failures: [OutboxMessage.Channel: Counter]

    init(factory: any MetricsFactory) {
        func counters(_ label: String) -> [OutboxMessage.Channel: Counter] {
            Dictionary(uniqueKeysWithValues: OutboxMessage.Channel.allCases.map { channel in
                (channel, Counter(label: label, dimensions: [("channel", channel.rawValue)], factory: factory))
            })
        }
        attempts = counters("taskport_outbox_delivery_attempts_total")
        failures = counters("taskport_outbox_delivery_failures_total")
    }

    func attempted(_ channel: OutboxMessage.Channel, failed: Bool) {
        attempts[channel]?.increment()
        if failed { failures[channel]?.increment() }
    }
}
