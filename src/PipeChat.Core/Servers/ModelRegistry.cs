namespace PipeChat.Servers;

/// <summary>
/// The one place that maps a connection model to its servers. <see cref="Default"/> holds the
/// built-in models; a new model is one <see cref="Register"/> call (or one line in
/// <see cref="Default"/>), and --model, its help and its errors follow.
/// </summary>
public sealed class ModelRegistry
{
    private readonly List<ServerModel> _models = [];

    /// <summary>Async I/O: an event loop (epoll) or SocketAsyncEventArgs, Pipelines, pooled buffers.</summary>
    public static ServerModel Async { get; } = new(
        "async",
        static (settings, protocol, logger) => new AsyncTcpServer(settings, protocol, logger),
        static (settings, protocol, logger) => new UdpServer(settings, protocol, Math.Max(1, Environment.ProcessorCount), asyncLoops: true, logger));

    /// <summary>One thread per connection.</summary>
    public static ServerModel Threads { get; } = new(
        "threads",
        static (settings, protocol, logger) => new ThreadedTcpServer(settings, protocol, logger),
        static (settings, protocol, logger) => new UdpServer(settings, protocol, Math.Max(2, Environment.ProcessorCount), asyncLoops: false, logger));

    /// <summary>One client at a time.</summary>
    public static ServerModel Iterative { get; } = new(
        "iterative",
        static (settings, protocol, logger) => new IterativeTcpServer(settings, protocol, logger),
        static (settings, protocol, logger) => new UdpServer(settings, protocol, 1, asyncLoops: false, logger));

    /// <summary>The built-in models, in the order help and errors list them.</summary>
    public static ModelRegistry Default { get; } = new ModelRegistry().Register(Async).Register(Threads).Register(Iterative);

    /// <summary>Every registered model, in registration order.</summary>
    public IReadOnlyList<ServerModel> All => _models;

    /// <summary>Adds a model; its name must be new.</summary>
    public ModelRegistry Register(ServerModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (Find(model.Name) is not null)
        {
            throw new ArgumentException($"a model named '{model.Name}' is already registered", nameof(model));
        }

        _models.Add(model);
        return this;
    }

    /// <summary>The model with this name (any case), or null.</summary>
    public ServerModel? Find(string name)
    {
        foreach (var model in _models)
        {
            if (string.Equals(model.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return model;
            }
        }

        return null;
    }

    /// <summary>A copy of these registrations, to add to without changing this one.</summary>
    public ModelRegistry Copy()
    {
        var copy = new ModelRegistry();
        copy._models.AddRange(_models);
        return copy;
    }

    /// <summary>The registration of a built-in model.</summary>
    public static ServerModel Of(ConnectionModel model) =>
        Default.Find(model.ToString()) ?? throw new ArgumentOutOfRangeException(nameof(model), model, null);

    /// <summary>"a, b or c": how help and errors list choices.</summary>
    public static string Choices(IEnumerable<string> names)
    {
        var list = names.ToList();
        return list.Count <= 1 ? string.Concat(list) : string.Join(", ", list.Take(list.Count - 1)) + " or " + list[^1];
    }
}
