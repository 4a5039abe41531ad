/**
 * The HTML report: one self-contained file (inline CSS, script and SVG; a CSP that forbids every request), so it
 * opens from disk and can be attached anywhere. Summary cards, the metrics table and the time chart are
 * rendered here; the per-case table (filter, sort) and the side-by-side diff are drawn by a small inline script
 * from the report's JSON embedded in the page.
 */
import { metricsRows } from './render-text.js';
import { reportToJson } from './report-json.js';
import type { CompareReport } from './schema.js';

/** Marks a file as written by codesave (so a later run may replace it). */
export const HTML_MARKER = '<meta name="generator" content="codesave compare report">';

const COLORS = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#db2777', '#0891b2', '#4b5563'];

const esc = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const fmtMs = (ms: number) =>
  ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(ms >= 0.1 ? 2 : 3)} ms`;

export function renderHtml(report: CompareReport): string {
  const title = `codesave compare: ${report.versions.map((v) => v.name).join(' vs ')}`;
  const json = reportToJson(report, 0)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  const s = report.summary;
  const cards = report.versions
    .map((v, i) => {
      const scores = Object.entries(v.scores)
        .map(([k, n]) => `<div><span>${esc(k)}</span><b>${n === null ? '—' : n.toFixed(3)}</b></div>`)
        .join('');
      const expected = v.expected
        ? `<div><span>expected</span><b>${v.expected.rate === null ? '—' : v.expected.rate.toFixed(3)}</b></div>`
        : '';
      const git = v.snapshot?.gitCommit
        ? ` · git ${esc(v.snapshot.gitCommit.slice(0, 10))}${v.snapshot.gitDirty ? ' (dirty)' : ''}`
        : '';
      return `<section class="card" style="border-top-color:${COLORS[i % COLORS.length]}"><h3>${esc(v.name)}</h3><p class="src" title="${esc(v.source)}">${esc(v.source)}${git}</p><div class="kv"><div><span>errors</span><b class="${v.errors ? 'bad' : ''}">${v.errors}</b></div>${scores}${expected}<div><span>median</span><b>${fmtMs(v.time.medianMs)}</b></div><div><span>p95</span><b>${fmtMs(v.time.p95Ms)}</b></div></div></section>`;
    })
    .join('');
  const rows = metricsRows(report);
  const metrics = `<table class="metrics"><thead><tr>${rows[0].map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .slice(1)
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
${HTML_MARKER}
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${esc(title)}</title>
<style>${CSS}</style></head>
<body>
<header><h1>${esc(title)}</h1><p>${s.cases} cases · call <code>${esc(report.call)}</code> · ${esc(report.createdAt)}${report.complete ? '' : ' · <b class="bad">aborted: partial report</b>'}</p>
<p class="pills"><span class="pill agree">${s.agree} agree</span><span class="pill differ">${s.differ} differ</span><span class="pill error">${s.errors} with errors</span></p></header>
<main>
<div class="cards">${cards}</div>
<h2>Metrics</h2>${metrics}
<h2>Time per case</h2>${timeChart(report)}
<h2>Cases</h2>
<div class="toolbar" role="toolbar"><button data-filter="all" class="on">All (${s.cases})</button><button data-filter="differ">Differs (${s.differ + report.cases.filter((c) => c.status === 'error' && c.groups.some((g) => g !== 0)).length})</button><button data-filter="error">Errors (${s.errors})</button><input id="search" type="search" placeholder="Search inputs and outputs"></div>
<div class="split"><div class="tablewrap"><table id="cases"><thead></thead><tbody></tbody></table><p id="more"></p></div>
<aside id="detail"><p class="hint">Select a case to see its outputs side by side.</p></aside></div>
</main>
<script type="application/json" id="report-data">${json}</script>
<script>${SCRIPT}</script>
</body></html>
`;
}

/** Inline SVG: per-case time of each version (cases bucketed to at most 400 points: each the bucket's max). */
function timeChart(report: CompareReport): string {
  const W = 900;
  const H = 220;
  const pad = { l: 60, r: 10, t: 10, b: 30 };
  const n = report.cases.length;
  if (n === 0) return '<p class="hint">No cases.</p>';
  const buckets = Math.min(400, n);
  const series = report.versions.map((_, vi) => {
    const points: number[] = new Array(buckets).fill(0);
    report.cases.forEach((c, ci) => {
      const b = Math.min(buckets - 1, Math.floor((ci * buckets) / n));
      points[b] = Math.max(points[b], c.results[vi].durationMs);
    });
    return points;
  });
  const max = Math.max(1e-6, ...series.flat());
  const x = (i: number) => pad.l + (buckets === 1 ? 0 : (i * (W - pad.l - pad.r)) / (buckets - 1));
  const y = (v: number) => H - pad.b - (v / max) * (H - pad.t - pad.b);
  const lines = series
    .map(
      (points, vi) =>
        `<polyline fill="none" stroke="${COLORS[vi % COLORS.length]}" stroke-width="1.5" points="${points.map((p, i) => `${x(i).toFixed(1)},${y(p).toFixed(1)}`).join(' ')}"><title>${esc(report.versions[vi].name)}</title></polyline>`,
    )
    .join('');
  const ticks = [0, 0.5, 1]
    .map(
      (f) =>
        `<text x="${pad.l - 6}" y="${y(max * f) + 4}" text-anchor="end">${fmtMs(max * f)}</text><line x1="${pad.l}" x2="${W - pad.r}" y1="${y(max * f)}" y2="${y(max * f)}" class="grid"/>`,
    )
    .join('');
  const legend = report.versions
    .map((v, vi) => `<span><i style="background:${COLORS[vi % COLORS.length]}"></i>${esc(v.name)}</span>`)
    .join('');
  return `<figure class="chart"><svg id="time-chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="Time per case and version">${ticks}${lines}<text x="${pad.l}" y="${H - 8}">case 0</text><text x="${W - pad.r}" y="${H - 8}" text-anchor="end">case ${n - 1}</text></svg><figcaption>${legend}${n > buckets ? ` <small>(${n} cases in ${buckets} buckets, each its slowest)</small>` : ''}</figcaption></figure>`;
}

const CSS = `
:root{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2937;background:#f8fafc}
body{margin:0}header{padding:16px 24px;background:#fff;border-bottom:1px solid #e5e7eb}h1{font-size:20px;margin:0 0 4px}
main{padding:8px 24px 40px}h2{font-size:16px;margin:24px 0 8px}code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px}
.pills .pill{display:inline-block;border-radius:10px;padding:1px 10px;margin-right:6px;font-weight:600}
.agree{background:#dcfce7;color:#166534}.differ{background:#fef3c7;color:#92400e}.error{background:#fee2e2;color:#991b1b}.bad{color:#b91c1c}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin-top:16px}.card{background:#fff;border:1px solid #e5e7eb;border-top:4px solid;border-radius:8px;padding:10px 14px;min-width:220px;flex:1}
.card h3{margin:0;font-size:16px}.card .src{margin:2px 0 8px;color:#6b7280;font-size:12px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;max-width:420px}
.kv{display:grid;grid-template-columns:repeat(auto-fill,minmax(90px,1fr));gap:6px}.kv span{display:block;color:#6b7280;font-size:11px;text-transform:uppercase}.kv b{font-size:16px}
table{border-collapse:collapse;background:#fff}th,td{border:1px solid #e5e7eb;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f1f5f9;font-weight:600}
.metrics td:not(:first-child){text-align:right;font-variant-numeric:tabular-nums}
.chart{margin:0;background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:8px}.chart svg{width:100%;max-width:900px;height:auto;font-size:11px;fill:#6b7280}
.chart .grid{stroke:#e5e7eb}.chart figcaption span{margin-right:14px}.chart i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px}
.toolbar{display:flex;gap:6px;margin-bottom:8px}.toolbar button{border:1px solid #cbd5e1;background:#fff;border-radius:6px;padding:4px 12px;cursor:pointer}
.toolbar button.on{background:#1e293b;color:#fff;border-color:#1e293b}.toolbar input{flex:1;max-width:320px;padding:4px 8px;border:1px solid #cbd5e1;border-radius:6px}
.split{display:flex;gap:12px;align-items:flex-start}.tablewrap{flex:1 1 55%;overflow:auto;max-height:75vh}#detail{flex:1 1 45%;background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:10px;position:sticky;top:8px;max-height:75vh;overflow:auto}
#cases th{cursor:pointer;user-select:none;position:sticky;top:0}#cases th[aria-sort=ascending]::after{content:" ▲"}#cases th[aria-sort=descending]::after{content:" ▼"}
#cases td{max-width:260px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
#cases tr.sel td{background:#e0f2fe}#cases tbody tr{cursor:pointer}#cases tbody tr:hover td{background:#f1f5f9}
.status{font-family:system-ui;font-weight:600;border-radius:8px;padding:0 6px}.hint{color:#6b7280}
.sides{display:grid;gap:8px}.sides pre{margin:0;padding:6px;background:#f8fafc;border:1px solid #e5e7eb;border-radius:6px;overflow:auto;white-space:pre}
.sides h4{margin:0 0 4px}.ln-del{background:#fee2e2}.ln-add{background:#dcfce7}.changes li{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
`;

// The page script: plain ES2019, no dependencies; it only reads the embedded JSON and draws into the page.
const SCRIPT = `(function(){'use strict';
var R=JSON.parse(document.getElementById('report-data').textContent);
var V=R.versions.map(function(v){return v.name});
var filter='all',query='',sortKey='index',sortDir=1,limit=500,selected=null;
function show(v){if(v&&typeof v==='object'&&typeof v.$type==='string'){var t=v.$type;if(t==='undefined')return'undefined';if(t==='number'||t==='bigint')return v.value+(t==='bigint'?'n':'');if(t==='Date'||t==='RegExp')return String(v.value);}
try{return JSON.stringify(v)}catch(e){return String(v)}}
function pretty(v){if(v&&typeof v==='object'&&v.$type==='undefined')return'undefined';try{return JSON.stringify(v,null,2)}catch(e){return String(v)}}
function cellText(c,col){if(col==='index')return c.index;if(col==='status')return c.status;if(col==='input')return show(c.input);
var m=/^(out|time):(\\d+)$/.exec(col);if(!m)return'';var r=c.results[+m[2]];if(m[1]==='time')return r.durationMs;return r.ok?show(r.output):'✗ '+r.error.name+': '+r.error.message}
var cols=[['index','#'],['status','status'],['input','input']];V.forEach(function(n,i){cols.push(['out:'+i,n]);cols.push(['time:'+i,n+' ms'])});
function visible(){return R.cases.filter(function(c){if(filter==='differ'&&!c.groups.some(function(g){return g!==0}))return false;if(filter==='error'&&c.status!=='error')return false;
if(query){var hay=(show(c.input)+' '+c.results.map(function(r){return r.ok?show(r.output):r.error.message}).join(' ')).toLowerCase();if(hay.indexOf(query)<0)return false}return true})}
function el(tag,attrs,text){var e=document.createElement(tag);for(var k in attrs)e.setAttribute(k,attrs[k]);if(text!=null)e.textContent=text;return e}
function draw(){var table=document.getElementById('cases');var head=table.tHead;head.textContent='';var tr=el('tr');
cols.forEach(function(c){var th=el('th',{'data-col':c[0],scope:'col'},c[1]);if(c[0]===sortKey)th.setAttribute('aria-sort',sortDir>0?'ascending':'descending');th.addEventListener('click',function(){if(sortKey===c[0])sortDir=-sortDir;else{sortKey=c[0];sortDir=1}draw()});tr.appendChild(th)});head.appendChild(tr);
var rows=visible();rows.sort(function(a,b){var x=cellText(a,sortKey),y=cellText(b,sortKey);if(typeof x==='number'&&typeof y==='number')return (x-y)*sortDir;return String(x).localeCompare(String(y))*sortDir});
var body=table.tBodies[0];body.textContent='';rows.slice(0,limit).forEach(function(c){var r=el('tr',{'data-index':c.index,'data-status':c.status});if(selected===c.index)r.className='sel';
cols.forEach(function(col){var v=cellText(c,col[0]);var td=el('td',null,null);if(col[0]==='status'){td.appendChild(el('span',{class:'status '+c.status},v))}else{td.textContent=typeof v==='number'&&col[0]!=='index'?v.toFixed(3):String(v);td.title=String(v)}r.appendChild(td)});
r.addEventListener('click',function(){selected=c.index;detail(c);draw()});body.appendChild(r)});
var more=document.getElementById('more');more.textContent=rows.length>limit?('Showing '+limit+' of '+rows.length+' cases. '):rows.length?'':'No cases match.';
if(rows.length>limit){var b=el('button',null,'Show more');b.addEventListener('click',function(){limit+=500;draw()});more.appendChild(b)}}
function lineDiff(a,b){var n=a.length,m=b.length;if(n*m>250000)return null;var t=[];for(var i=0;i<=n;i++){t.push(new Array(m+1).fill(0))}
for(i=n-1;i>=0;i--)for(var j=m-1;j>=0;j--)t[i][j]=a[i]===b[j]?t[i+1][j+1]+1:Math.max(t[i+1][j],t[i][j+1]);
var da={},db={};i=0;j=0;while(i<n&&j<m){if(a[i]===b[j]){i++;j++}else if(t[i+1][j]>=t[i][j+1]){da[i++]=1}else{db[j++]=1}}while(i<n)da[i++]=1;while(j<m)db[j++]=1;return[da,db]}
function detail(c){var box=document.getElementById('detail');box.textContent='';box.appendChild(el('h3',null,'Case #'+c.index+' · '+c.status));
box.appendChild(el('h4',null,'input'));box.appendChild(el('pre',{class:'input'},pretty(c.input)));if('expected' in c){box.appendChild(el('h4',null,'expected'));box.appendChild(el('pre',null,pretty(c.expected)))}
var texts=c.results.map(function(r){return r.ok?pretty(r.output):(r.error.name+': '+r.error.message+(r.error.stack?'\\n\\n'+r.error.stack:''))});
var base=texts[0].split('\\n');var sides=el('div',{class:'sides',id:'sides'});sides.style.gridTemplateColumns='repeat('+V.length+',minmax(0,1fr))';
var marks=texts.map(function(t,i){if(i===0)return null;return lineDiff(base,t.split('\\n'))});
texts.forEach(function(t,i){var col=el('div',{class:'side','data-version':V[i]});col.appendChild(el('h4',null,V[i]+' · '+c.results[i].durationMs.toFixed(3)+' ms'+(c.results[i].ok?'':' · error')));var pre=el('pre');
t.split('\\n').forEach(function(line,k){var cls='';if(i===0){for(var o=1;o<marks.length;o++)if(marks[o]&&marks[o][0][k])cls='ln-del'}else if(marks[i]&&marks[i][1][k])cls='ln-add';var s=el('div',cls?{class:cls}:null,line||' ');pre.appendChild(s)});col.appendChild(pre);sides.appendChild(col)});
box.appendChild(sides);if(c.diffs.length){var ul=el('ul',{class:'changes'});c.diffs.forEach(function(d){d.changes.forEach(function(ch){var txt=d.from+' → '+d.to+'  '+ch.path+': '+(ch.kind==='added'?'(none)':show(ch.before))+' → '+(ch.kind==='removed'?'(none)':show(ch.after))+(ch.reason?'  ('+ch.reason+')':'');ul.appendChild(el('li',null,txt))});if(d.truncated)ul.appendChild(el('li',null,'…'))});box.appendChild(el('h4',null,'Changes'));box.appendChild(ul)}}
Array.prototype.forEach.call(document.querySelectorAll('[data-filter]'),function(b){b.addEventListener('click',function(){filter=b.getAttribute('data-filter');limit=500;Array.prototype.forEach.call(document.querySelectorAll('[data-filter]'),function(o){o.classList.toggle('on',o===b)});draw()})});
document.getElementById('search').addEventListener('input',function(e){query=e.target.value.toLowerCase();limit=500;draw()});
draw();var first=R.cases.filter(function(c){return c.status!=='agree'})[0];if(first){selected=first.index;detail(first);draw()}
})();`;
