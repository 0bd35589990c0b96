extension Principal {
    /// The caller of the request being handled, set by a surface's authentication middleware.
    @TaskLocal public static var current: Principal?
}
