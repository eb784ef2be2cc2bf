// Started by the SDK (CrashWatcher.StartOnce) with: OWNER SOCKET PROJECT RUNTIMECONFIG. Writes nothing; the exit code says how it went.
return await IncusTestKit.Sandboxes.CrashWatcher.RunAsync(args);
