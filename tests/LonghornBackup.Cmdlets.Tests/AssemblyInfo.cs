// The cmdlets read their settings folder from process-wide environment variables: one test at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
