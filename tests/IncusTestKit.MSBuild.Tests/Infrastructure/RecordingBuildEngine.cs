using System.Collections;
using Microsoft.Build.Framework;

namespace IncusTestKit.MSBuild.Tests.Infrastructure;

/// <summary>
/// A build engine for running a task alone: it records what the task logs (from any thread, as a task's live output
/// is logged) and keeps registered objects.
/// </summary>
public sealed class RecordingBuildEngine : IBuildEngine4
{
    private readonly Dictionary<object, object> _registered = [];
    private readonly Lock _gate = new();
    private readonly List<BuildErrorEventArgs> _errors = [];
    private readonly List<BuildWarningEventArgs> _warnings = [];
    private readonly List<BuildMessageEventArgs> _messages = [];

    public IReadOnlyList<BuildErrorEventArgs> Errors => Snapshot(_errors);
    public IReadOnlyList<BuildWarningEventArgs> Warnings => Snapshot(_warnings);
    public IReadOnlyList<BuildMessageEventArgs> Messages => Snapshot(_messages);

    public IReadOnlyDictionary<object, object> Registered => _registered;

    public bool ContinueOnError => false;
    public int LineNumberOfTaskNode => 0;
    public int ColumnNumberOfTaskNode => 0;
    public string ProjectFileOfTaskNode => "test.proj";
    public bool IsRunningMultipleNodes => false;

    public void LogErrorEvent(BuildErrorEventArgs e) => Add(_errors, e);
    public void LogWarningEvent(BuildWarningEventArgs e) => Add(_warnings, e);
    public void LogMessageEvent(BuildMessageEventArgs e) => Add(_messages, e);
    public void LogCustomEvent(CustomBuildEventArgs e) { }

    public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs) => throw new NotSupportedException();
    public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs, string toolsVersion) => throw new NotSupportedException();
    public bool BuildProjectFilesInParallel(string[] projectFileNames, string[] targetNames, IDictionary[] globalProperties, IDictionary[] targetOutputsPerProject, string[] toolsVersion, bool useResultsCache, bool unloadProjectsOnCompletion) => throw new NotSupportedException();
    public BuildEngineResult BuildProjectFilesInParallel(string[] projectFileNames, string[] targetNames, IDictionary[] globalProperties, IList<string>[] removeGlobalProperties, string[] toolsVersion, bool returnTargetOutputs) => throw new NotSupportedException();
    public void Yield() { }
    public void Reacquire() { }

    public void RegisterTaskObject(object key, object obj, RegisteredTaskObjectLifetime lifetime, bool allowEarlyCollection) => _registered[key] = obj;
    public object? GetRegisteredTaskObject(object key, RegisteredTaskObjectLifetime lifetime) => _registered.GetValueOrDefault(key);
    public object? UnregisterTaskObject(object key, RegisteredTaskObjectLifetime lifetime) => _registered.Remove(key, out var obj) ? obj : null;

    /// <summary>Forgets what was logged so far.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _errors.Clear();
            _warnings.Clear();
            _messages.Clear();
        }
    }

    private void Add<T>(List<T> list, T item)
    {
        lock (_gate)
            list.Add(item);
    }

    private IReadOnlyList<T> Snapshot<T>(List<T> list)
    {
        lock (_gate)
            return [.. list];
    }

    /// <summary>Ends the build: disposes what tasks registered, as MSBuild does.</summary>
    public void EndBuild()
    {
        foreach (var obj in _registered.Values.OfType<IDisposable>())
            obj.Dispose();
        _registered.Clear();
    }
}
