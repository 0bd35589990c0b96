import CoreMetrics
import Hummingbird
import Metrics
import Synchronization
public import TaskportHTTP

/// Counts every request and measures its duration, by surface, route template, method and status
/// class (`2xx` … `5xx`). Every label comes from a fixed set: unmatched paths are `unmatched`,
/// methods outside the usual ones are `other`, so no client can make new series.
public final class HTTPMetrics: RequestObserver {
    struct Series: Hashable {
        var surface: String
        var route: String
        var method: String
        var status: String
    }

    struct Instruments {
        let requests: Counter
        let duration: Timer
    }

    private let factory: any MetricsFactory
    private let instruments = Mutex<[Series: Instruments]>([:])

    public init(factory: any MetricsFactory) {
        self.factory = factory
    }

    static let methods: Set<HTTPRequest.Method> = [.get, .head, .post, .put, .patch, .delete, .options]

    public func observe(_ request: ObservedRequest) {
        let series = Series(
            surface: request.surface ?? "none", route: request.route,
            method: Self.methods.contains(request.method) ? request.method.rawValue : "other",
            status: request.status == 0 ? "dropped" : "\(min(max(request.status / 100, 1), 5))xx"
        )
        let recording = instruments.withLock { instruments in
            if let known = instruments[series] { return known }
            let dimensions = [("surface", series.surface), ("route", series.route), ("method", series.method), ("status", series.status)]
            let made = Instruments(
                requests: Counter(label: "taskport_http_requests_total", dimensions: dimensions, factory: factory),
                duration: Timer(label: "taskport_http_request_duration_seconds", dimensions: dimensions, factory: factory)
            )
            instruments[series] = made
            return made
        }
        recording.requests.increment()
        recording.duration.record(duration: request.duration)
    }
}
