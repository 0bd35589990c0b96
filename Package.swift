// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// One API surface: its OpenAPI document (a resource, served at /openapi/) and the server stubs
/// generated from it, under Sources/TaskportDialects/<folder>. Its own files mix with generated
/// ones that import at `package` level, hence internal imports by default.
func dialect(_ folder: String) -> Target {
    .target(
        name: folder + "Dialect",
        dependencies: [
            "TaskportCore",
            "TaskportHTTP",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
        ],
        path: "Sources/TaskportDialects/" + folder,
        resources: [.copy("openapi.yaml")],
        swiftSettings: swiftSettings + [.enableUpcomingFeature("InternalImportsByDefault")],
        plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
    )
}

let package = Package(
    name: "taskport",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "taskport", targets: ["taskport"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.34.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.29.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.25.0"),
        .package(url: "https://github.com/apple/swift-openapi-generator.git", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime.git", from: "1.13.4"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
        // Tests only: reading the OpenAPI documents.
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // The task engine: model, patches, validation, versions, audit, errors, the store protocol.
        .target(
            name: "TaskportCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // The embedded store: GRDB over one SQLite file.
        .target(
            name: "TaskportSQLite",
            dependencies: [
                "TaskportCore",
                "CSQLiteSettings",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Process-wide SQLite settings that only C can make (`sqlite3_config` is variadic).
        .target(
            name: "CSQLiteSettings",
            dependencies: [.product(name: "GRDBSQLite", package: "GRDB.swift")]
        ),
        // The shared store: any number of Taskport servers over one PostgreSQL, through postgres-nio.
        .target(
            name: "TaskportPostgres",
            dependencies: [
                "TaskportCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // What every HTTP surface shares: error translation, body limits, credentials.
        .target(
            name: "TaskportHTTP",
            dependencies: [
                "TaskportCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
            ],
            swiftSettings: swiftSettings
        ),
        // Delivery of the outbox: an SMTP client on SwiftNIO, signed webhooks, retries, due-date reminders.
        .target(
            name: "TaskportDelivery",
            dependencies: [
                "TaskportCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Taskport's own API: spec first, server stubs generated from it.
        dialect("Native"),
        // Rollout Universal CRM's tasks API, from the vendor's own OpenAPI document.
        dialect("Rollout"),
        // Maxsight API v5's task assignment endpoints.
        dialect("Maxsight"),
        // Thena Platform's account tasks with configurable attributes.
        dialect("Thena"),
        // Nexudus Spaces' CoworkerTasks with its OAuth2 token endpoint.
        dialect("Nexudus"),
        // The console: a web interface for people at /console, its templates and styles resources of the binary.
        .target(
            name: "TaskportConsole",
            dependencies: [
                "TaskportCore",
                "TaskportHTTP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
        // Metrics in the Prometheus text format at /metrics: swift-metrics recorded through swift-prometheus.
        .target(
            name: "TaskportMetrics",
            dependencies: [
                "TaskportCore",
                "TaskportHTTP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        // The request journal: every request of a tenant, kept for people testing their integrations.
        .target(
            name: "TaskportJournal",
            dependencies: [
                "TaskportCore",
                "TaskportHTTP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // What may hold or answer a request once its caller is known: fault rules and rate limits.
        .target(
            name: "TaskportGates",
            dependencies: [
                "TaskportCore",
                "TaskportHTTP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The application: HTTP server, middleware, credentials, services.
        .target(
            name: "TaskportServer",
            dependencies: [
                "TaskportCore",
                "TaskportSQLite",
                "TaskportHTTP",
                "TaskportDelivery",
                "NativeDialect",
                "RolloutDialect",
                "MaxsightDialect",
                "ThenaDialect",
                "NexudusDialect",
                "TaskportConsole",
                "TaskportJournal",
                "TaskportGates",
                "TaskportMetrics",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "taskport",
            dependencies: [
                "TaskportServer",
                "TaskportConsole",
                "TaskportDelivery",
                "TaskportHTTP",
                "TaskportJournal",
                "TaskportGates",
                "TaskportMetrics",
                "TaskportPostgres",
                "TaskportSQLite",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Fills a database with synthetic tasks for the benchmarks in bench/.
        .executableTarget(
            name: "taskport-loader",
            dependencies: ["TaskportCore", "TaskportSQLite", "TaskportPostgres"],
            path: "bench/Loader",
            swiftSettings: swiftSettings
        ),
        // What the test suites share: the PostgreSQL server they are given.
        .target(
            name: "TaskportTestSupport",
            dependencies: ["TaskportPostgres"],
            path: "Tests/TaskportTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TaskportCoreTests",
            dependencies: ["TaskportCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TaskStoreContractTests",
            dependencies: [
                "TaskportCore", "TaskportSQLite", "TaskportPostgres", "TaskportTestSupport", "CSQLiteSettings",
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TaskportHTTPTests",
            dependencies: ["TaskportHTTP", "TaskportSQLite", .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TaskportServerTests",
            dependencies: [
                "TaskportServer",
                "TaskportConsole",
                "TaskportDelivery",
                "TaskportGates",
                "TaskportJournal",
                "TaskportPostgres",
                "TaskportTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
