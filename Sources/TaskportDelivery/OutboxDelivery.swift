import CoreMetrics
import Foundation
import Logging
import ServiceLifecycle
import TaskportCore

/// How often and how long failed deliveries are retried.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts before a message is dead.
    public var maxAttempts: Int
    /// The wait after the first failure; it doubles with each further one.
    public var baseDelay: Duration
    public var maxDelay: Duration

    public init(maxAttempts: Int = 8, baseDelay: Duration = .seconds(5), maxDelay: Duration = .seconds(3600)) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// The wait before attempt `attempts + 1`, after `attempts` failures: exponential, capped, with
    /// ±25% jitter so that messages that failed together do not retry together.
    public func delay(afterFailures attempts: Int) -> Duration {
        let exponential = baseDelay * (1 << min(max(attempts - 1, 0), 30))
        let capped = min(exponential, maxDelay)
        return capped * Double.random(in: 0.75...1.25)
    }
}

/// Delivers what task changes wrote to the outbox: claims due messages (a lease keeps other
/// workers, on this server or another, off them), sends each, marks it sent, or schedules a
/// retry with backoff until the policy gives up and the message is kept as dead with its last
/// error. Leases are short and renewed while the worker sends: the messages a killed server held
/// come free within one lease (15 s), on every store. Delivery is exactly once while workers live,
/// at least once after a crash (a message sent but not yet marked goes again).
public struct OutboxDelivery: Service {
    let store: any OutboxStore
    let smtp: SMTPClient?
    let webhooks: WebhookSender
    let policy: RetryPolicy
    let pollInterval: Duration
    /// How long a claim holds a message; renewed every third of it while the batch is being sent.
    let lease: Duration
    let logger: Logger
    let metrics: DeliveryMetrics

    public init(
        store: any OutboxStore, smtp: SMTPClient?, webhooks: WebhookSender = WebhookSender(), policy: RetryPolicy = RetryPolicy(),
        pollInterval: Duration = .seconds(1), lease: Duration = .seconds(15), logger: Logger,
        metrics: any MetricsFactory = NOOPMetricsHandler.instance
    ) {
        self.metrics = DeliveryMetrics(factory: metrics)
        self.store = store
        self.smtp = smtp
        self.webhooks = webhooks
        self.policy = policy
        self.pollInterval = pollInterval
        self.lease = lease
        self.logger = logger
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let delivered: Int
                do {
                    delivered = try await deliverDue()
                } catch is CancellationError {
                    return
                } catch {
                    logger.error("outbox delivery failed", metadata: ["error": "\(error)"])
                    delivered = 0
                }
                if delivered == 0 { try? await Task.sleep(for: pollInterval) }
            }
        }
    }

    /// Claims and delivers one batch of due messages; returns how many it claimed.
    @discardableResult
    public func deliverDue(now: Timestamp = .now()) async throws -> Int {
        let leaseEnd = Timestamp(microseconds: now.microseconds + lease.microseconds)
        // Without a mail server, email waits in the outbox until one is configured.
        let channels: Set<OutboxMessage.Channel> = smtp == nil ? [.webhook] : [.email, .webhook]
        let batch = try await store.claimMessages(channels: channels, limit: 16, now: now, leaseUntil: leaseEnd)
        guard !batch.isEmpty else { return 0 }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await renewLeases(of: batch.map(\.message.id)) }
            for entry in batch {
                await deliver(entry)
            }
            group.cancelAll()
        }
        return batch.count
    }

    /// Keeps the batch's messages held until cancelled. A message marked sent or failed has no
    /// lease any more, and a renewal passes over it.
    private func renewLeases(of ids: [UUID]) async {
        while true {
            do { try await Task.sleep(for: lease / 3) } catch { return }
            do {
                try await store.renewLeases(ids, until: Timestamp(microseconds: Timestamp.now().microseconds + lease.microseconds))
            } catch {
                logger.warning("could not renew the outbox lease", metadata: ["error": "\(error)"])
            }
        }
    }

    func deliver(_ entry: OutboxEntry) async {
        let message = entry.message
        do {
            switch message.channel {
            case .email:
                guard let smtp else { throw DeliveryFailure(reason: "no mail server is configured (--smtp-host)", permanent: true) }
                guard let email = EmailText.email(for: entry, from: smtp.configuration.from) else {
                    throw DeliveryFailure(reason: "no email is written for \(message.event)", permanent: true)
                }
                try await smtp.send(email)
            case .webhook:
                guard let id = UUID(text: message.recipient), let webhook = try await store.webhook(id) else {
                    throw DeliveryFailure(reason: "the webhook was deleted", permanent: true)
                }
                try await webhooks.deliver(message, to: webhook)
            }
            metrics.attempted(message.channel, failed: false)
            try await store.markSent(message.id, at: .now())
            logger.info("delivered", metadata: ["message": "\(message.id)", "channel": "\(message.channel.rawValue)", "event": "\(message.event)"])
        } catch {
            metrics.attempted(message.channel, failed: true)
            let failures = entry.attempts + 1
            let permanent =
                (error as? SMTPError)?.isPermanent == true || (error as? DeliveryFailure)?.permanent == true
                || (error as? WebhookSender.Failure)?.permanent == true
            let retryAt: Timestamp? =
                permanent || failures >= policy.maxAttempts
                ? nil : Timestamp(microseconds: Timestamp.now().microseconds + policy.delay(afterFailures: failures).microseconds)
            logger.warning(
                retryAt == nil ? "delivery failed; the message is dead" : "delivery failed; will retry",
                metadata: ["message": "\(message.id)", "attempt": "\(failures)", "error": "\(error)"]
            )
            try? await store.markFailed(message.id, error: "\(error)", retryAt: retryAt)
        }
    }
}

struct DeliveryFailure: Error, CustomStringConvertible {
    var reason: String
    var permanent: Bool
    var description: String { reason }
}
