using IncusTestKit.Cli;

return await CommandLineApp.InvokeAsync(args);
