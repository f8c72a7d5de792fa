namespace PipeChat.LoadTests.Harness;

/// <summary>
/// The timeline of a scenario's load simulations: how many copies should run (closed model)
/// or when each injected request is due (open model) at any time since the start.
/// Ramps start from the previous phase's value (0 for the first phase).
/// A scenario uses one model throughout: closed and open phases are not mixed.
/// </summary>
public sealed class LoadSchedule
{
    private readonly Segment[] _segments;

    /// <summary>Initializes a new instance of the <see cref="LoadSchedule"/> class.</summary>
    /// <exception cref="ArgumentException">No phases, or closed and open phases mixed.</exception>
    public LoadSchedule(IEnumerable<LoadSimulation> simulations)
    {
        ArgumentNullException.ThrowIfNull(simulations);
        Simulations = simulations.ToArray();
        if (Simulations.Count == 0)
        {
            throw new ArgumentException("a scenario needs at least one load simulation", nameof(simulations));
        }

        IsOpenModel = Simulations[0].IsOpenModel;
        if (Simulations.Any(s => s.IsOpenModel != IsOpenModel))
        {
            throw new ArgumentException(
                "closed (KeepConstant/RampingConstant) and open (Inject/RampingInject) simulations cannot be mixed in one scenario",
                nameof(simulations));
        }

        _segments = new Segment[Simulations.Count];
        var start = TimeSpan.Zero;
        double previous = 0;
        double cumulative = 0;
        for (int i = 0; i < Simulations.Count; i++)
        {
            var sim = Simulations[i];
            double target = IsOpenModel ? sim.RatePerSecond : sim.Copies;
            double from = sim.IsRamping ? previous : target;
            var seg = new Segment(sim, start, start + sim.During, from, target, cumulative);
            _segments[i] = seg;
            cumulative += IsOpenModel ? seg.CountWithin(sim.During.TotalSeconds) : 0;
            previous = target;
            start += sim.During;
        }

        Duration = start;
        TotalInjected = IsOpenModel ? (long)Math.Floor(cumulative + 1e-9) : 0;
        MaxCopies = IsOpenModel ? 0 : _segments.Max(s => (int)Math.Max(s.From, s.To));
    }

    /// <summary>Gets the phases in order.</summary>
    public IReadOnlyList<LoadSimulation> Simulations { get; }

    /// <summary>Gets a value indicating whether the phases are open-model (inject).</summary>
    public bool IsOpenModel { get; }

    /// <summary>Gets the total length of all phases.</summary>
    public TimeSpan Duration { get; }

    /// <summary>Gets the largest number of copies any closed phase asks for (0 for open model).</summary>
    public int MaxCopies { get; }

    /// <summary>Gets how many requests the open-model phases inject in total (0 for closed model).</summary>
    public long TotalInjected { get; }

    /// <summary>Gets the phase running at <paramref name="elapsed"/>, or null after the end.</summary>
    public LoadSimulation? SimulationAt(TimeSpan elapsed) => Find(elapsed)?.Simulation;

    /// <summary>Gets the number of copies that should run at <paramref name="elapsed"/> (closed model).</summary>
    public int CopiesAt(TimeSpan elapsed)
    {
        if (IsOpenModel || Find(elapsed) is not { } seg)
        {
            return 0;
        }

        return (int)Math.Round(seg.ValueAt((elapsed - seg.Start).TotalSeconds), MidpointRounding.AwayFromZero);
    }

    /// <summary>Gets the injection rate in requests per second at <paramref name="elapsed"/> (open model).</summary>
    public double RatePerSecondAt(TimeSpan elapsed)
    {
        if (!IsOpenModel || Find(elapsed) is not { } seg)
        {
            return 0;
        }

        return seg.ValueAt((elapsed - seg.Start).TotalSeconds);
    }

    /// <summary>Gets how many requests are due in [0, <paramref name="elapsed"/>) (open model; may be fractional).</summary>
    public double InjectedBy(TimeSpan elapsed)
    {
        if (!IsOpenModel || elapsed <= TimeSpan.Zero)
        {
            return 0;
        }

        if (elapsed >= Duration)
        {
            var last = _segments[^1];
            return last.CumulativeBefore + last.CountWithin(last.Simulation.During.TotalSeconds);
        }

        var seg = Find(elapsed)!;
        return seg.CumulativeBefore + seg.CountWithin((elapsed - seg.Start).TotalSeconds);
    }

    /// <summary>
    /// Gets when the request with the zero-based <paramref name="index"/> is due (open model),
    /// or null when the schedule injects fewer requests than that. Request <c>k</c> is due at the
    /// time <c>t</c> where <see cref="InjectedBy"/>(t) = k, so the first one is due at the start.
    /// </summary>
    public TimeSpan? ScheduledTime(long index)
    {
        if (!IsOpenModel || index < 0 || index >= TotalInjected)
        {
            return null;
        }

        foreach (var seg in _segments)
        {
            double needed = index - seg.CumulativeBefore;
            if (needed < seg.CountWithin(seg.Simulation.During.TotalSeconds))
            {
                double x = Math.Min(seg.TimeForCount(needed), seg.Simulation.During.TotalSeconds);
                return seg.Start + TimeSpan.FromSeconds(x);
            }
        }

        return null;
    }

    private Segment? Find(TimeSpan elapsed)
    {
        if (elapsed < TimeSpan.Zero || elapsed >= Duration)
        {
            return null;
        }

        foreach (var seg in _segments)
        {
            if (elapsed < seg.End)
            {
                return seg;
            }
        }

        return null;
    }

    private sealed record Segment(LoadSimulation Simulation, TimeSpan Start, TimeSpan End, double From, double To, double CumulativeBefore)
    {
        private double Length => Simulation.During.TotalSeconds;

        // Value grows linearly from From to To over the segment.
        public double ValueAt(double x) => From + ((To - From) * Math.Clamp(x / Length, 0, 1));

        // Integral of the value over [0, x].
        public double CountWithin(double x)
        {
            x = Math.Clamp(x, 0, Length);
            return (From * x) + ((To - From) * x * x / (2 * Length));
        }

        // Inverse of CountWithin: the x in [0, Length] at which CountWithin(x) = count.
        public double TimeForCount(double count)
        {
            if (count <= 0)
            {
                return 0;
            }

            double a = (To - From) / Length;
            if (Math.Abs(a) < 1e-12)
            {
                return count / From;
            }

            // a/2 x^2 + From x - count = 0, solved in the cancellation-free form.
            double disc = (From * From) + (2 * a * count);
            return disc <= 0 ? Length : 2 * count / (From + Math.Sqrt(disc));
        }
    }
}
