import Foundation
import TaskportCore
import Testing

@Suite("Wall-clock times across daylight-saving changes")
struct WallClockTests {
    let london = TimeZone(identifier: "Europe/London")!
    let newYork = TimeZone(identifier: "America/New_York")!

    func instant(_ text: String) -> Timestamp { Timestamp(rfc3339: text)! }

    @Test func anOrdinaryLocalTimeIsTheInstantAtTheZonesOffset() {
        #expect(Timestamp(wallClock: "2026-01-15T10:30:00", in: london) == instant("2026-01-15T10:30:00Z"))
        #expect(Timestamp(wallClock: "2026-07-15T10:30:00", in: london) == instant("2026-07-15T09:30:00Z"))
        #expect(Timestamp(wallClock: "2026-07-15T10:30:00.25", in: newYork) == instant("2026-07-15T14:30:00.25Z"))
        #expect(instant("2026-07-15T09:30:00Z").wallClock(in: london) == "2026-07-15T10:30:00")
        #expect(instant("2026-01-15T15:30:00.5Z").wallClock(in: newYork) == "2026-01-15T10:30:00.500000")
    }

    @Test func theHoursAroundAChangeMapOneToOne() {
        // London goes from GMT to BST at 01:00 UTC on 29 March 2026, and back at 01:00 UTC on 25 October.
        #expect(instant("2026-03-29T00:59:59Z").wallClock(in: london) == "2026-03-29T00:59:59")
        #expect(instant("2026-03-29T01:00:00Z").wallClock(in: london) == "2026-03-29T02:00:00")
        #expect(Timestamp(wallClock: "2026-03-29T00:59:59", in: london) == instant("2026-03-29T00:59:59Z"))
        #expect(Timestamp(wallClock: "2026-03-29T02:00:00", in: london) == instant("2026-03-29T01:00:00Z"))
        #expect(instant("2026-10-25T00:59:59Z").wallClock(in: london) == "2026-10-25T01:59:59")
        #expect(instant("2026-10-25T01:00:00Z").wallClock(in: london) == "2026-10-25T01:00:00")
        #expect(Timestamp(wallClock: "2026-10-25T02:00:00", in: london) == instant("2026-10-25T02:00:00Z"))
    }

    @Test func aTimeTheClocksSkipIsReadWithTheOffsetBeforeTheChange() {
        #expect(Timestamp(wallClock: "2026-03-29T01:30:00", in: london) == instant("2026-03-29T01:30:00Z"))
        #expect(instant("2026-03-29T01:30:00Z").wallClock(in: london) == "2026-03-29T02:30:00")
        // New York skips 02:00–03:00 on 8 March 2026; 02:30 EST would be 07:30 UTC, shown as 03:30 EDT.
        #expect(Timestamp(wallClock: "2026-03-08T02:30:00", in: newYork) == instant("2026-03-08T07:30:00Z"))
    }

    @Test func aTimeTheClocksShowTwiceIsTheFirst() {
        #expect(Timestamp(wallClock: "2026-10-25T01:30:00", in: london) == instant("2026-10-25T00:30:00Z"))
        #expect(Timestamp(wallClock: "2026-11-01T01:30:00", in: newYork) == instant("2026-11-01T05:30:00Z"))
    }

    @Test func onlyLocalDateTimesWithoutAnOffsetParse() {
        for text in ["2026-01-15T10:30:00Z", "2026-01-15T10:30:00+01:00", "2026-01-15", "2026-02-30T10:30:00", "10:30", ""] {
            #expect(Timestamp(wallClock: text, in: london) == nil, "\(text)")
        }
    }

    @Test func compactTimestampsShowFractionsOnlyWhenThereAreSome() {
        #expect(instant("2025-01-15T10:30:00Z").rfc3339Compact == "2025-01-15T10:30:00Z")
        #expect(instant("2025-01-15T10:30:00.000001Z").rfc3339Compact == "2025-01-15T10:30:00.000001Z")
    }
}

@Suite("Password hashes")
struct PasswordHashTests {
    @Test func aHashVerifiesItsPasswordAndNoOther() throws {
        let cheap = PasswordHash.Cost(logRounds: 4, blockSize: 8, parallelism: 1)
        let hash = try PasswordHash.make("correct horse", cost: cheap)
        #expect(hash.hasPrefix("$scrypt$ln=4,r=8,p=1$"))
        #expect(PasswordHash.verify("correct horse", against: hash))
        #expect(!PasswordHash.verify("correct hors", against: hash))
        #expect(!PasswordHash.verify("correct horse", against: "correct horse"))
        #expect(try PasswordHash.make("correct horse", cost: cheap) != hash, "each hash has its own salt")
    }

    @Test func theStandardCostIsWrittenIntoTheHash() throws {
        let hash = try PasswordHash.make("correct horse")
        #expect(hash.hasPrefix("$scrypt$ln=14,r=8,p=5$"))
        #expect(PasswordHash.verify("correct horse", against: hash))
    }
}
