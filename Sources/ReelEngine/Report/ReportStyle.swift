/// The storyboard's inline stylesheet and script: no fonts, images or scripts from the network.
enum ReportStyle {
    static let css = """
        * { box-sizing: border-box; }
        html { background: #F4F1EA; color: #1C1917; }
        body { margin: 0; font: 15px/1.5 ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", "DejaVu Sans", sans-serif; }
        code { font: 0.9em ui-monospace, "SFMono-Regular", Menlo, "Liberation Mono", "DejaVu Sans Mono", monospace; background: #EDE8DD; padding: 0 0.3em; border-radius: 4px; }
        h1, h2, h3 { line-height: 1.2; margin: 0; }
        h2 { font-size: 1.15rem; text-transform: uppercase; letter-spacing: 0.08em; color: #57534E; margin: 2.5rem 0 1rem; }
        .page { max-width: 1160px; margin: 0 auto; padding: 2.5rem 1.5rem 4rem; }
        .masthead { border-left: 6px solid var(--accent); padding: 0.25rem 0 0.25rem 1.25rem; }
        .eyebrow { margin: 0 0 0.4rem; color: #78716C; font-size: 0.85rem; }
        .quality { text-transform: uppercase; font-weight: 700; color: var(--accent); letter-spacing: 0.05em; }
        .masthead h1 { font-size: 2.4rem; letter-spacing: -0.01em; }
        .goal { font-size: 1.2rem; color: #44403C; margin: 0.5rem 0 0; max-width: 60ch; }
        .facts { display: flex; flex-wrap: wrap; gap: 0.4rem 1.75rem; margin: 1rem 0 0; }
        .facts dt { font-size: 0.75rem; text-transform: uppercase; letter-spacing: 0.06em; color: #78716C; }
        .facts dd { margin: 0; }
        .swatches { display: flex; gap: 0.4rem; margin-top: 0.8rem; }
        .swatch { width: 1.6rem; height: 1.6rem; border-radius: 50%; border: 2px solid #fff; box-shadow: 0 0 0 1px #D6D3D1; }
        .totals { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 0.75rem; margin-top: 2rem; }
        .tile { background: #fff; border-radius: 12px; padding: 0.9rem 1rem; box-shadow: 0 1px 2px rgba(28,25,23,0.08); display: flex; flex-direction: column; }
        .tile .value { font-size: 1.7rem; font-weight: 700; font-variant-numeric: tabular-nums; }
        .tile .label { font-weight: 600; }
        .tile .note { font-size: 0.78rem; color: #78716C; }
        .tile-failed .value { color: #B91C1C; }
        .tile-built .value { color: #15803D; }
        .tile-cached .value { color: #1D4ED8; }
        .tile-cost .value { color: var(--accent); }
        .final-video { display: block; width: 100%; max-height: 70vh; background: #0C0A09; border-radius: 14px; box-shadow: 0 10px 30px rgba(28,25,23,0.25); }
        .caption { color: #57534E; font-size: 0.9rem; margin: 0.6rem 0 0; }
        .caption a { color: var(--accent); }
        .sheet { margin: 1.5rem 0 0; }
        .sheet img { display: block; width: 100%; border-radius: 10px; }
        .sheet figcaption, .frame figcaption, .clip figcaption { font-size: 0.8rem; color: #78716C; margin-top: 0.35rem; }
        .missing { background: #FEF3C7; border: 1px solid #F59E0B; border-radius: 12px; padding: 1rem 1.25rem; }
        .pair { background: #fff; border-radius: 16px; padding: 1.25rem 1.5rem 1.5rem; margin-bottom: 1.5rem; box-shadow: 0 1px 3px rgba(28,25,23,0.1); border-top: 5px solid #D6D3D1; }
        .pair.state-built { border-top-color: #16A34A; }
        .pair.state-cached { border-top-color: #2563EB; }
        .pair.state-failed { border-top-color: #DC2626; }
        .pair.state-skipped, .pair.state-stale { border-top-color: #D97706; }
        .pair-head { display: flex; align-items: center; gap: 0.9rem; margin-bottom: 1rem; }
        .pair-head h3 { font-size: 1.25rem; flex: 1; }
        .number { font-size: 1.6rem; font-weight: 800; color: var(--accent); font-variant-numeric: tabular-nums; }
        .to { color: #A8A29E; margin: 0 0.2rem; }
        .badge { display: inline-block; font-size: 0.75rem; font-weight: 700; text-transform: uppercase; letter-spacing: 0.05em; padding: 0.15rem 0.6rem; border-radius: 999px; background: #E7E5E4; color: #44403C; }
        .badge-built { background: #DCFCE7; color: #166534; }
        .badge-cached { background: #DBEAFE; color: #1E40AF; }
        .badge-failed { background: #FEE2E2; color: #991B1B; }
        .badge-skipped, .badge-stale { background: #FEF3C7; color: #92400E; }
        .frames { display: grid; grid-template-columns: 1fr auto 1fr 1.5fr; gap: 1rem; align-items: start; }
        .frames figure { margin: 0; min-width: 0; }
        .frame img, .placeholder { display: block; width: 100%; aspect-ratio: 16 / 9; object-fit: cover; border-radius: 10px; background: #E7E5E4; }
        .placeholder { display: flex; align-items: center; justify-content: center; text-align: center; padding: 0.5rem; color: #78716C; font-size: 0.85rem; }
        .frame figcaption small { display: block; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
        .role { font-weight: 600; color: #44403C; }
        .arrow { align-self: center; font-size: 1.6rem; color: #A8A29E; margin-top: -1.5rem; }
        .clip video { display: block; width: 100%; aspect-ratio: 16 / 9; border-radius: 10px; background: #0C0A09; }
        .why { margin-top: 1.1rem; }
        .score { display: flex; align-items: center; gap: 0.6rem; font-size: 0.85rem; color: #57534E; }
        .score-bar { width: 9rem; height: 0.5rem; border-radius: 999px; background: #E7E5E4; overflow: hidden; }
        .score-bar span { display: block; height: 100%; background: var(--accent); }
        .reasoning { font-size: 1.05rem; margin: 0.6rem 0; white-space: pre-wrap; }
        .prompt { color: #57534E; margin: 0; white-space: pre-wrap; }
        .label { font-size: 0.72rem; text-transform: uppercase; letter-spacing: 0.06em; font-weight: 700; color: #78716C; margin-right: 0.4rem; }
        .meta { display: flex; flex-wrap: wrap; gap: 0.5rem 1.75rem; margin: 1rem 0 0; padding-top: 0.9rem; border-top: 1px solid #E7E5E4; font-size: 0.9rem; }
        .meta dt { font-size: 0.72rem; text-transform: uppercase; letter-spacing: 0.06em; color: #78716C; }
        .meta dd { margin: 0; }
        .dim { color: #78716C; }
        .error { background: #FEF2F2; color: #7F1D1D; border-radius: 8px; padding: 0.6rem 0.9rem; margin: 1rem 0 0; white-space: pre-wrap; overflow-wrap: anywhere; }
        .footer { margin-top: 3rem; color: #78716C; font-size: 0.85rem; }
        .notes { background: #FFF7ED; border-radius: 10px; padding: 0.75rem 1rem; color: #7C2D12; }
        @media (max-width: 800px) {
          .frames { grid-template-columns: 1fr auto 1fr; }
          .frames .clip { grid-column: 1 / -1; }
          .masthead h1 { font-size: 1.8rem; }
        }
        @media print { html { background: #fff; } .pair { break-inside: avoid; box-shadow: none; border: 1px solid #D6D3D1; } }
        """

    /// Marks each video with its duration once its metadata loads (`data-duration`), or the error
    /// code if it cannot play (`data-error`); clips play while hovered.
    static let script = """
        (function () {
          document.querySelectorAll("video").forEach(function (video) {
            function mark() { if (isFinite(video.duration)) { video.setAttribute("data-duration", video.duration.toFixed(3)); } }
            video.addEventListener("loadedmetadata", mark);
            video.addEventListener("error", function () { video.setAttribute("data-error", String(video.error ? video.error.code : "unknown")); });
            if (video.readyState >= 1) { mark(); }
          });
          document.querySelectorAll("video.clip-video").forEach(function (clip) {
            clip.addEventListener("mouseenter", function () { var p = clip.play(); if (p) { p.catch(function () {}); } });
            clip.addEventListener("mouseleave", function () { clip.pause(); });
          });
        })();
        """
}
