/* global window, document, fetch, sessionStorage, setTimeout, URLSearchParams, Chart */
// The built-in dashboard: polls /dashboard/data with an admin token and redraws six charts and
// the vendors table. The chart instances are on window.leadflowCharts, so a browser test can check
// what they hold.
(function () {
  'use strict';

  const REFRESH_MS = 5000;
  const STAGE_COLOURS = {
    received: '#5b8def',
    valid: '#35a66b',
    enriched: '#2b8a8a',
    scored: '#8c6bd6',
    matched: '#d68a2b',
    assigned: '#c2571a',
    converted: '#1f6f3f',
    rejected: '#c23b3b',
  };
  const PALETTE = ['#5b8def', '#35a66b', '#d68a2b', '#8c6bd6', '#c23b3b', '#2b8a8a'];
  const charts = {};
  window.leadflowCharts = charts;

  const status = document.getElementById('status');
  const login = document.getElementById('login');

  // A token in the URL fragment never reaches the server; keep it for this tab and drop it from the URL.
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  if (fragment.get('token')) {
    sessionStorage.setItem('leadflow-token', fragment.get('token'));
    window.history.replaceState(null, '', window.location.pathname);
  }

  login.addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem('leadflow-token', document.getElementById('token').value.trim());
    login.hidden = true;
    refresh();
  });

  function draw(id, config) {
    if (charts[id]) {
      charts[id].data = config.data;
      charts[id].update('none');
      return;
    }
    charts[id] = new Chart(document.getElementById(id), {
      ...config,
      options: { responsive: true, maintainAspectRatio: false, animation: false, ...config.options },
    });
  }

  function bar(id, labels, datasets, options = {}) {
    draw(id, { type: 'bar', data: { labels, datasets }, options });
  }

  /** Stage counts per group (vendor or line), one bar per stage reached. */
  function conversion(id, rows, groupColumn) {
    if (!rows) return;
    const stages = rows.length
      ? Object.keys(rows[0]).filter((k) => !['valid_rate', 'conversion_rate', groupColumn].includes(k))
      : [];
    bar(
      id,
      rows.map((r) => r[groupColumn]),
      stages.map((stage) => ({
        label: stage,
        data: rows.map((r) => r[stage]),
        backgroundColor: STAGE_COLOURS[stage] || '#888',
      })),
    );
  }

  const dollars = (n) => n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const percent = (rate) => (rate === null ? '-' : `${(rate * 100).toFixed(1)}%`);

  /** The vendor scorecard, one row per vendor. Cells are text nodes: vendor ids come from outside. */
  function vendorTable(rows) {
    if (!rows) return;
    const body = document.querySelector('#vendors tbody');
    body.replaceChildren(
      ...rows.map((v) => {
        const tr = document.createElement('tr');
        const cells = [
          [v.vendor_id],
          [v.leads.toLocaleString('en-US')],
          [dollars(v.cost_usd)],
          [dollars(v.revenue_usd)],
          [dollars(v.margin_usd), v.margin_usd < 0 ? 'negative' : ''],
          [percent(v.reject_rate)],
          [percent(v.sale_rate)],
          [percent(v.return_rate)],
        ];
        for (const [text, className] of cells) {
          const td = document.createElement('td');
          td.textContent = text;
          if (className) td.className = className;
          tr.append(td);
        }
        return tr;
      }),
    );
  }

  function render(data) {
    if (data.funnel) {
      bar(
        'funnel',
        data.funnel.map((r) => r.stage),
        [
          {
            label: 'leads',
            data: data.funnel.map((r) => r.leads),
            backgroundColor: data.funnel.map((r) => STAGE_COLOURS[r.stage] || '#888'),
          },
        ],
        { indexAxis: 'y', plugins: { legend: { display: false } } },
      );
    }
    conversion('bySource', data.conversionBySource, 'vendor_id');
    conversion('byLine', data.conversionByLine, 'line');
    vendorTable(data.vendors);
    bar(
      'scores',
      data.scores.map((b) => `${b.from}-${b.to}`),
      [{ label: 'scored leads', data: data.scores.map((b) => b.leads), backgroundColor: '#8c6bd6' }],
      { plugins: { legend: { display: false } } },
    );
    bar(
      'leaderboard',
      data.leaderboard.map((a) => a.agentId),
      [
        { label: 'sold', data: data.leaderboard.map((a) => a.sold), backgroundColor: PALETTE[1] },
        { label: 'accepted', data: data.leaderboard.map((a) => a.accepted), backgroundColor: PALETTE[0] },
        { label: 'offers', data: data.leaderboard.map((a) => a.offers), backgroundColor: '#c9d3df' },
      ],
      { indexAxis: 'y' },
    );
    bar(
      'latency',
      data.latency.map((s) => s.stage),
      [
        { label: 'p50', data: data.latency.map((s) => s.p50Seconds), backgroundColor: PALETTE[0] },
        { label: 'p95', data: data.latency.map((s) => s.p95Seconds), backgroundColor: PALETTE[2] },
      ],
    );
  }

  async function refresh() {
    const token = sessionStorage.getItem('leadflow-token');
    if (!token) {
      login.hidden = false;
      status.textContent = 'an admin token is needed';
      return;
    }
    try {
      const response = await fetch('/dashboard/data', { headers: { authorization: `Bearer ${token}` } });
      if (response.status === 401 || response.status === 403) {
        sessionStorage.removeItem('leadflow-token');
        login.hidden = false;
        status.textContent = `token refused (${response.status}); enter an admin token`;
        return;
      }
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const data = await response.json();
      render(data);
      status.textContent = `updated ${new Date(data.generatedAt).toLocaleTimeString()}${
        data.funnel ? '' : ' · no read-model database: funnel, conversion and vendors unavailable'
      }`;
    } catch (error) {
      status.textContent = `refresh failed: ${error.message}; retrying`;
    }
    setTimeout(refresh, REFRESH_MS);
  }

  refresh();
})();
