import Foundation
public import Hummingbird
import NIOCore
import Synchronization
public import TaskportCore
public import TaskportHTTP

/// How much the journal keeps.
public struct JournalSettings: Sendable {
    /// Entries kept per tenant; the oldest go first.
    public var size: Int
    /// Entries older than this go.
    public var age: Duration
    /// The most of each body an entry keeps.
    public var bodyLimit: Int

    public init(size: Int = 10_000, age: Duration = .seconds(7 * 86_400), bodyLimit: Int = 16 * 1024) {
        self.size = size
        self.age = age
        self.bodyLimit = bodyLimit
    }
}

/// Entries waiting to be written, taken in batches by `JournalWriter`. Bounded by count and by the
/// bytes the entries hold (bodies, headers, targets): when the store falls behind, new entries are
/// dropped (and counted) rather than held without limit. Entries of large bodies reach the byte
/// bound first: at the default body limit, 20,000 of them would hold more than 600 MB.
public final class JournalBuffer: Sendable {
    struct State {
        var entries: [JournalEntry] = []
        var bytes = 0
        var dropped = 0
    }

    private let state = Mutex(State())
    let capacity: Int
    let byteCapacity: Int

    public init(capacity: Int = 20_000, byteCapacity: Int = 64 << 20) {
        self.capacity = capacity
        self.byteCapacity = byteCapacity
    }

    func add(_ entry: JournalEntry) {
        let size = entry.heldBytes
        state.withLock { state in
            if state.entries.count < capacity, state.bytes + size <= byteCapacity {
                state.entries.append(entry)
                state.bytes += size
            } else {
                state.dropped += 1
            }
        }
    }

    /// Everything waiting, and how many were dropped since the last take.
    func take() -> (entries: [JournalEntry], dropped: Int) {
        state.withLock { state in
            defer { state = State() }
            return (state.entries, state.dropped)
        }
    }
}

extension JournalEntry {
    /// About the memory the entry holds: its texts' bytes, and a fixed part for the rest.
    var heldBytes: Int {
        func size(_ headers: [Header]) -> Int { headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 32 } }
        return 256 + target.utf8.count + requestBody.text.utf8.count + responseBody.text.utf8.count + size(requestHeaders) + size(responseHeaders)
    }
}

/// Wraps everything the router does and gives the buffer one entry per request some credential
/// of a tenant was accepted for: method, path, status, latency, headers (credentials redacted) and
/// the first `bodyLimit` bytes of each body. Bodies are copied as they stream, so a request or an
/// answer is never held back or read twice; the entry is made once the answer has been written.
/// The console's own pages and reads of the journal are left out. Without a buffer (the journal
/// off) it adds nothing.
public struct JournalResponder<Wrapped: HTTPResponder>: HTTPResponder where Wrapped.Context: RequestContext {
    public typealias Context = Wrapped.Context
    let wrapped: Wrapped
    let buffer: JournalBuffer?
    let bodyLimit: Int
    let surface: @Sendable (String) -> String?

    public init(_ wrapped: Wrapped, buffer: JournalBuffer?, bodyLimit: Int, surface: @escaping @Sendable (String) -> String?) {
        self.wrapped = wrapped
        self.buffer = buffer
        self.bodyLimit = bodyLimit
        self.surface = surface
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        guard let buffer, Self.isJournaled(request.uri.path) else { return try await wrapped.respond(to: request, context: context) }
        // The record is current already when something observes requests (the metrics, the access log).
        let observed = RequestRecord.current
        let record = observed ?? RequestRecord()
        let touch = TaskTouch()
        let requestBody = BodyCopy(limit: bodyLimit)
        var request = request
        await copyBody(of: &request, into: requestBody)
        let started = ContinuousClock.now
        let at = Timestamp.now()
        let incoming = request
        var response: Response
        do {
            response = try await TaskTouch.$current.withValue(touch) {
                if observed != nil { return try await wrapped.respond(to: incoming, context: context) }
                return try await RequestRecord.$current.withValue(record) { try await wrapped.respond(to: incoming, context: context) }
            }
        } catch let error as DroppedConnection {
            // No answer: the entry has status 0 and no response.
            let latency = ContinuousClock.now - started
            if var entry = entry(request, record, requestID: context.id, at: at, latency: latency, status: 0, responseHeaders: [:]) {
                entry.requestBody = requestBody.body
                buffer.add(entry)
            }
            throw error
        }
        let latency = ContinuousClock.now - started
        let status = Int(response.status.code)
        guard let entry = entry(request, record, requestID: context.id, at: at, latency: latency, status: status, responseHeaders: response.headers)
        else { return response }
        let responseBody = BodyCopy(limit: bodyLimit)
        let body = response.body
        if let length = body.contentLength, length <= bodyLimit {
            // An answer the journal keeps whole is gathered here and goes out as one buffer, as it
            // came: wrapped to be copied as it is written, it went out in three writes (head, body,
            // end) where one does, each a trip through the channel's writer.
            let gathered = GatheredBody()
            defer { buffer.add(Self.complete(entry, requestBody, responseBody, touch)) }
            try await body.write(GatheringWriter(gathered: gathered))
            let (whole, trailers) = gathered.taken
            responseBody.append(whole)
            if let trailers {
                response.body = ResponseBody(contentLength: whole.readableBytes) { writer in
                    try await writer.write(whole)
                    try await writer.finish(trailers)
                }
            } else {
                response.body = whole.readableBytes == 0 ? ResponseBody() : ResponseBody(byteBuffer: whole)
            }
            return response
        }
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            defer { buffer.add(Self.complete(entry, requestBody, responseBody, touch)) }
            try await body.write(CopyingWriter(wrapped: writer, copy: responseBody))
        }
        return response
    }
}

extension JournalResponder {
    /// The entry with both bodies as they were copied, and the task the request touched.
    static func complete(_ entry: JournalEntry, _ requestBody: BodyCopy, _ responseBody: BodyCopy, _ touch: TaskTouch) -> JournalEntry {
        var complete = entry
        complete.requestBody = requestBody.body
        complete.responseBody = responseBody.body
        complete.taskID = touch.taskID
        return complete
    }

    /// Arranges for the request's body to be copied as it is read. A body whose length is
    /// declared and fits the journal's limit is read here, once, into a buffer the handlers read
    /// in turn (a stream wrapped to copy what passes costs every read of it); a request with
    /// neither a length nor chunks has no body; any other body is copied as it streams.
    func copyBody(of request: inout Request, into copy: BodyCopy) async {
        let headers = request.headers
        guard !headers.contains(.transferEncoding) else {
            request.body = Self.copying(request.body, into: copy)
            return
        }
        guard let declared = headers.value(.contentLength) else { return }
        guard let length = Int(declared), length >= 0, length <= bodyLimit else {
            request.body = Self.copying(request.body, into: copy)
            return
        }
        do {
            copy.append(try await request.collectBody(upTo: length))
        } catch {
            // The handler meets the same failure when it reads the body.
            request.body = RequestBody(asyncSequence: UnreadableBody(error: error))
        }
    }

    static func copying(_ body: RequestBody, into copy: BodyCopy) -> RequestBody {
        RequestBody(asyncSequence: body.map { buffer in
            copy.append(buffer)
            return buffer
        })
    }

    /// The entry for a request some credential of a tenant was accepted for; its bodies come later.
    func entry(
        _ request: Request, _ record: RequestRecord, requestID: String, at: Timestamp, latency: Duration, status: Int,
        responseHeaders: HTTPFields
    ) -> JournalEntry? {
        guard let caller = record.caller else { return nil }
        let route = record.route ?? "unmatched"
        return JournalEntry(
            tenantID: caller.tenantID, at: at, requestID: requestID, surface: surface(route) ?? "none",
            method: request.method.rawValue, target: request.uri.string, route: route, status: status, latencyMicroseconds: latency.microseconds,
            credential: caller.credential, userNumber: caller.userNumber, requestHeaders: JournalRedaction.headers(request.headers),
            responseHeaders: JournalRedaction.headers(responseHeaders), requestBody: .empty, responseBody: .empty, taskID: nil,
            fault: record.fault
        )
    }

    /// Everything but the console's pages and reads of the journal itself.
    static func isJournaled(_ path: String) -> Bool {
        !(path == "/console" || path.hasPrefix("/console/") || path == "/v1/journal" || path.hasPrefix("/v1/journal/"))
    }
}

/// The first bytes of a body as it streams past, and its whole length.
final class BodyCopy: Sendable {
    private struct State {
        var bytes: [UInt8] = []
        var length = 0
    }

    private let state = Mutex(State())
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    func append(_ buffer: ByteBuffer) {
        state.withLock { state in
            state.length += buffer.readableBytes
            let room = limit - state.bytes.count
            if room > 0 { state.bytes += buffer.readableBytesView.prefix(room) }
        }
    }

    var body: JournalEntry.Body {
        state.withLock { state in
            JournalEntry.Body(text: String(decoding: state.bytes, as: UTF8.self), length: state.length, truncated: state.length > state.bytes.count)
        }
    }
}

/// Writes through to the connection, copying what passes.
struct CopyingWriter: ResponseBodyWriter {
    var wrapped: any ResponseBodyWriter
    let copy: BodyCopy

    mutating func write(_ buffer: ByteBuffer) async throws {
        copy.append(buffer)
        try await wrapped.write(buffer)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        try await wrapped.finish(trailingHeaders)
    }
}

/// An answer's body as its writer gave it: the bytes, and the trailing headers it finished with.
final class GatheredBody: Sendable {
    private let state = Mutex<(bytes: ByteBuffer, trailers: HTTPFields?)>((ByteBuffer(), nil))

    func append(_ buffer: ByteBuffer) {
        state.withLock { state in
            if state.bytes.readableBytes == 0 {
                state.bytes = buffer
            } else {
                var buffer = buffer
                state.bytes.writeBuffer(&buffer)
            }
        }
    }

    func finish(_ trailers: HTTPFields?) {
        state.withLock { $0.trailers = trailers }
    }

    var taken: (bytes: ByteBuffer, trailers: HTTPFields?) {
        state.withLock { $0 }
    }
}

/// Gathers what an answer's body writes.
struct GatheringWriter: ResponseBodyWriter {
    let gathered: GatheredBody

    mutating func write(_ buffer: ByteBuffer) async throws {
        gathered.append(buffer)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        gathered.finish(trailingHeaders)
    }
}

/// A request body that could not be read, failing again for whoever reads it next.
struct UnreadableBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let error: any Error & Sendable

    struct AsyncIterator: AsyncIteratorProtocol {
        var error: (any Error)?

        mutating func next() async throws -> ByteBuffer? {
            guard let error else { return nil }
            self.error = nil
            throw error
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(error: error) }
}
