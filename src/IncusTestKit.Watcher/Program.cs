// Started by the SDK (CrashWatcher.StartOnce) with: OWNER PROJECT RUNTIMECONFIG, then unix SOCKET or https ADDRESS CERTIFICATE KEY SERVERCERTIFICATE. Writes nothing; the exit code says how it went.
return await IncusTestKit.Sandboxes.CrashWatcher.RunAsync(args);
