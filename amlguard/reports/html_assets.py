"""The HTML report's stylesheet and scripts (inline in the page, pinned by the CSP's hashes).

The script reads the page's JSON data block and draws, on demand: the overview's sorting and
filters, the rule x workspace heat map, the selected workspace's diagram, and the findings a
page at a time. Data is only ever inserted with ``textContent``/``setAttribute``, never as HTML.
"""

from __future__ import annotations

CSS = """
:root{--crit:#7f0000;--high:#c62828;--med:#ef6c00;--low:#f9a825;--info:#607d8b;--fail:#c62828;
--fail-bg:#fdecea;--err:#6a1b9a;--err-bg:#f3e5f5;--pass:#2e7d32;--pass-bg:#e8f5e9;--mute:#757575;
--mute-bg:#f1f1f1;--line:#d0d7de}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;
margin:0;color:#1f2328;background:#fafbfc}main{max-width:1280px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px}.meta{color:var(--mute)}
.verdict{padding:14px 18px;border-radius:8px;font-size:17px;font-weight:600;margin:16px 0}
.verdict.ok{background:var(--pass-bg);color:var(--pass)}.verdict.bad{background:var(--fail-bg);
color:var(--fail)}.verdict.incomplete{background:var(--err-bg);color:var(--err)}
.headline{font-size:16px;font-weight:600}
.cards{display:flex;gap:10px;flex-wrap:wrap}.card{background:#fff;border:1px solid var(--line);
border-radius:8px;padding:8px 14px;min-width:110px}.card b{display:block;font-size:22px}
.card.fail b{color:var(--fail)}.card.error b{color:var(--err)}.card.pass b{color:var(--pass)}
.filters{display:flex;gap:10px;flex-wrap:wrap;align-items:center;margin:8px 0}
select,input{font:inherit;padding:4px 6px}table{border-collapse:collapse;width:100%;background:#fff}
th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa;position:sticky;top:0}th[data-sort]{cursor:pointer}
th[aria-sort=ascending]::after{content:" \\25b2"}th[aria-sort=descending]::after{content:" \\25bc"}
td.msg{word-break:break-word}.badge{display:inline-block;padding:1px 7px;border-radius:10px;
font-size:12px;font-weight:600}.b-fail{background:var(--fail-bg);color:var(--fail)}.b-error{
background:var(--err-bg);color:var(--err)}.b-pass{background:var(--pass-bg);color:var(--pass)}
.b-suppressed,.b-skipped,.b-known{background:var(--mute-bg);color:var(--mute)}
.new{background:#fff3cd;color:#7a5b00}.detail{color:#555;font-size:12px}code{font-size:12px}
.fix{white-space:pre-line}.hidden{display:none}.chip button{margin-left:6px}
.sev-critical{color:var(--crit)}.sev-high{color:var(--high)}.sev-medium{color:var(--med)}
.sev-low{color:#8d6e00}.wsname{font-weight:600;cursor:pointer;text-decoration:underline dotted}
tr.selected td{background:#eef4ff}.scroll{overflow:auto;max-height:480px;border:1px solid var(--line)}
#heatmap table{width:auto}#heatmap td,#heatmap th{padding:2px 4px;font-size:11px;border:1px solid #fff}
#heatmap th.rule{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap}
#heatmap td.cell{width:18px;height:18px;cursor:pointer}.h-critical{background:var(--crit)}
.h-high{background:var(--high)}.h-medium{background:var(--med)}.h-low{background:var(--low)}
.h-info{background:var(--info)}.h-error{background:var(--err)}.h-pass{background:#a5d6a7}
.h-none{background:#eee}svg{display:block}#diagram svg{width:100%;height:auto;max-width:1000px}
.link{stroke:#9aa4ad;stroke-width:1.5}.linklbl{font-size:10px;fill:#555}
.piece rect{stroke-width:2;fill:var(--mute-bg);stroke:#bdbdbd}.piece{cursor:pointer}
.piece.st-none rect{stroke-dasharray:5 4}.piece.st-pass rect{fill:var(--pass-bg);stroke:var(--pass)}
.piece.st-error rect{fill:var(--err-bg);stroke:var(--err)}.piece.st-fail rect{fill:var(--fail-bg)}
.piece.sev-critical rect{stroke:var(--crit)}.piece.sev-high rect{stroke:var(--high)}
.piece.sev-medium rect{stroke:var(--med)}.piece.sev-low rect,.piece.sev-info rect{stroke:var(--low)}
.piece .lbl{font-weight:600;font-size:13px}.piece .sub{font-size:12px;fill:#444}
.piece .extra{font-size:11px;fill:#555}.piece .word{font-size:11px;fill:#b71c1c}
.piece.active rect,.piece:focus rect{stroke-width:4}#legend{display:flex;gap:12px;flex-wrap:wrap;
font-size:12px;margin:6px 0}#legend span{display:inline-flex;align-items:center;gap:4px}
#legend i{display:inline-block;width:14px;height:14px;border:2px solid;border-radius:3px}
.trend{max-width:760px}.trend .axis{stroke:#888}.trend .tick{font-size:11px;fill:#555}
.trend .series{fill:none;stroke-width:2}.trend .fail{stroke:var(--fail)}.trend .err{stroke:var(--err);
stroke-dasharray:4 3}.trend .dot{fill:var(--fail)}.trend .dot.incomplete{fill:#fff;stroke:var(--err);
stroke-width:2}
"""

# Collects script errors (and console.error calls) so a headless browser test can see them.
GUARD_JS = (
    "window.__errors=[];window.__t0=(window.performance&&performance.now())||0;"
    "window.addEventListener('error',function(e){window.__errors.push("
    "String(e.message||e.type))});document.addEventListener('securitypolicyviolation',"
    "function(e){window.__errors.push('CSP blocked '+e.violatedDirective)});(function(){var c=console.error;console.error=function(){"
    "window.__errors.push(Array.prototype.join.call(arguments,' '));return c.apply(console,"
    "arguments)}})();"
)

# Runs last, as its own script, so it reports even when the main script failed to parse.
DONE_JS = (
    "document.documentElement.setAttribute('data-js-errors',String(window.__errors.length));"
    "document.documentElement.setAttribute('data-js-error-text',window.__errors.join(' | '));"
    "document.documentElement.setAttribute('data-ready-ms',String(Math.round("
    "(window.performance&&performance.now())||0)));"
    "document.documentElement.setAttribute('data-js-ready','1');"
)

MAIN_JS = r"""
(function(){
var D=JSON.parse(document.getElementById('report-data').textContent);
var S=D.s,ST=D.st,R=D.rules,W=D.ws,F=D.f,PAGE=D.page,HEAT=D.heat_page;
var SVGNS='http://www.w3.org/2000/svg';
function $(id){return document.getElementById(id);}
function el(tag,cls,text){var e=document.createElement(tag);if(cls){e.className=cls;}
  if(text!==undefined&&text!==null){e.textContent=String(text);}return e;}
function sv(tag,attrs,text){var e=document.createElementNS(SVGNS,tag);
  Object.keys(attrs||{}).forEach(function(k){e.setAttribute(k,String(attrs[k]));});
  if(text!==undefined){e.textContent=String(text);}return e;}
function at(row,i,d){return row.length>i?row[i]:d;}
function str(i){return i>=0?S[i]:'';}
var state={status:'',severity:'',rule:'',q:'',fnew:'',ws:'',piece:'',osub:'',org:'',osev:'',
  orule:'',onew:'',oq:'',sort:''};
var inputs={status:'f-status',severity:'f-severity',rule:'f-rule',q:'f-text',fnew:'f-new',
  osub:'o-sub',org:'o-rg',osev:'o-sev',orule:'o-rule',onew:'o-new',oq:'o-text'};
function readInputs(){Object.keys(inputs).forEach(function(k){var e=$(inputs[k]);if(!e){return;}
  state[k]=e.type==='checkbox'?(e.checked?'1':''):e.value;});}
function writeInputs(){Object.keys(inputs).forEach(function(k){var e=$(inputs[k]);if(!e){return;}
  if(e.type==='checkbox'){e.checked=state[k]==='1';return;}
  if(e.tagName==='SELECT'&&!Array.prototype.some.call(e.options,function(o){return o.value===state[k];})){state[k]='';}
  e.value=state[k];});}
function fromHash(){location.hash.replace(/^#/,'').split('&').forEach(function(kv){
  var i=kv.indexOf('=');if(i<1){return;}var k=kv.slice(0,i),v;
  try{v=decodeURIComponent(kv.slice(i+1));}catch(e){return;}
  if(Object.prototype.hasOwnProperty.call(state,k)){state[k]=v;}});
  if(state.ws!==''&&!(+state.ws>=0&&+state.ws<W.length)){state.ws='';state.piece='';}}
function toHash(){var parts=[];Object.keys(state).forEach(function(k){
  if(state[k]){parts.push(k+'='+encodeURIComponent(state[k]));}});
  history.replaceState(null,'',parts.length?'#'+parts.join('&'):location.pathname+location.search);}

/* Overview: server-rendered rows, sorted and filtered here. */
var tbodyO=document.querySelector('#overview tbody');
var orows=Array.prototype.slice.call(tbodyO.rows);
function oMatch(tr){var d=tr.dataset,q=state.oq.toLowerCase();
  return (!state.osub||d.sub===state.osub)&&(!state.org||d.rg===state.org)&&
    (!state.osev||d.sev===state.osev)&&(!state.orule||d.rules.indexOf(' '+state.orule+' ')>=0)&&
    (!state.onew||+d.new>0)&&(!q||d.name.toLowerCase().indexOf(q)>=0);}
function sortOverview(){var s=state.sort.split(':'),key=s[0],dir=s[1]==='asc'?1:-1;
  document.querySelectorAll('#overview th[data-sort]').forEach(function(th){
    th.setAttribute('aria-sort',th.dataset.sort===key?(dir>0?'ascending':'descending'):'none');});
  var rows=orows.slice();
  if(key){rows.sort(function(a,b){var x=a.dataset[key],y=b.dataset[key];
    var nx=Number(x),ny=Number(y),c=(isNaN(nx)||isNaN(ny))?x.localeCompare(y):nx-ny;
    return c*dir||(+a.dataset.w-+b.dataset.w);});}
  var frag=document.createDocumentFragment();rows.forEach(function(r){frag.appendChild(r);});
  tbodyO.appendChild(frag);orows=rows;}
var oLimit=D.overview_page;
function applyOverview(){var n=0,visible=[];orows.forEach(function(tr){var ok=oMatch(tr);
  if(ok){n++;}var show=ok&&n<=oLimit;
  if(tr.classList.contains('hidden')===show){tr.classList.toggle('hidden',!show);}
  var sel=tr.dataset.w===state.ws;if(tr.classList.contains('selected')!==sel){tr.classList.toggle('selected',sel);}
  if(ok){visible.push(tr);}});
  $('o-shown').textContent=String(n);var more=$('o-more');more.classList.toggle('hidden',n<=oLimit);
  if(n>oLimit){more.textContent='Show '+Math.min(D.overview_page,n-oLimit)+' more of '+(n-oLimit)+' workspaces not displayed';}
  matching=visible;heatLimit=HEAT;drawHeat();}
var matching=[];

/* Heat map: rule x workspace for the drifted workspaces the overview shows. */
var cells=null,heatLimit=HEAT;
function cellMap(){if(cells){return cells;}cells={};var rank={error:5,critical:4,high:3,medium:2,low:1,info:0};
  F.forEach(function(f){var st=ST[f[2]],w=f[0],r=f[1],v;
    if(st==='fail'){v=R[r][3];}else if(st==='error'){v='error';}else if(st==='pass'){v='pass';}else{return;}
    var m=cells[w]||(cells[w]={}),o=m[r];
    if(o===undefined||o==='pass'||(v!=='pass'&&rank[v]>rank[o])){m[r]=v;}});return cells;}
function drawHeat(){var box=$('heatmap');box.textContent='';var m=cellMap();
  var rows=matching.filter(function(tr){return +tr.dataset.failing>0||+tr.dataset.errors>0;});
  $('heat-count').textContent=String(rows.length);
  if(!rows.length){box.appendChild(el('p','meta','No drifted workspace matches the overview filters.'));return;}
  var t=el('table'),head=el('tr');head.appendChild(el('th','','workspace'));
  D.heat_rules.forEach(function(r){var th=el('th','rule');th.title=R[r][2];
    if(/^https:\/\//.test(R[r][4]||'')){var a=el('a','rule-doc',R[r][0]);a.href=R[r][4];a.rel='noopener noreferrer';th.appendChild(a);}
    else{th.textContent=R[r][0];}head.appendChild(th);});
  var thead=el('thead');thead.appendChild(head);t.appendChild(thead);var body=el('tbody');
  rows.slice(0,heatLimit).forEach(function(tr){var w=+tr.dataset.w,row=el('tr');row.dataset.w=String(w);
    var th=el('th','wsname',W[w][0]);th.title=W[w][3]+' / '+W[w][2];
    th.addEventListener('click',function(){select(w,'');});row.appendChild(th);
    D.heat_rules.forEach(function(r){var v=(m[w]||{})[r]||'none',td=el('td','cell h-'+v);
      td.dataset.rule=R[r][0];td.dataset.v=v;td.title=W[w][0]+' \u00b7 '+R[r][0]+': '+(v==='none'?'not judged':v==='pass'||v==='error'?v:'failing ('+v+')');
      td.addEventListener('click',function(){state.rule=R[r][0];select(w,'');});row.appendChild(td);});
    body.appendChild(row);});
  t.appendChild(body);box.appendChild(t);
  if(rows.length>heatLimit){var b=el('button','','Show '+Math.min(HEAT,rows.length-heatLimit)+' more of '+(rows.length-heatLimit));
    b.type='button';b.id='heat-more';b.addEventListener('click',function(){heatLimit+=HEAT;drawHeat();});box.appendChild(b);}}

/* The diagram of the selected workspace (else the worst drifted one), drawn on demand. */
function diagramIndex(){if(state.ws!==''){return +state.ws;}
  if(W.length===1||(W.length&&W[0][4]!=='ok')){return 0;}return -1;}
function drawDiagram(){var box=$('diagram'),w=diagramIndex();box.textContent='';
  $('diagram-title').textContent=w<0?'Select a workspace in the overview or the heat map.':W[w][0]+' ('+W[w][3]+', '+W[w][2]+')';
  if(w<0){return;}var m=W[w][9],svg=sv('svg',{viewBox:'0 0 '+m.size[0]+' '+m.size[1],role:'img','class':'diagram','data-w':w});
  svg.appendChild(sv('title',{},'Blueprint of '+W[w][0]));
  m.links.forEach(function(l){svg.appendChild(sv('line',{x1:l[0],y1:l[1],x2:l[2],y2:l[3],'class':'link'}));
    if(l[4]){svg.appendChild(sv('text',{x:(l[0]+l[2])/2+4,y:(l[1]+l[3])/2-4,'class':'linklbl'},l[4]));}});
  m.boxes.forEach(function(b){var lbl=S[b[1]],sub=S[b[2]],words=b[5].map(str),extra=b[10].map(str);
    var g=sv('g',{'class':'piece st-'+b[3]+(b[4]?' sev-'+b[4]:''),'data-piece':b[0],
      'data-status':b[3],'data-severity':b[4]||'',tabindex:0,role:'button'});
    var tip=lbl+': '+sub+(words.length?' \u2014 '+words.join('; '):(b[3]==='none'?' (no rule judged it)':' ('+b[3]+')'));
    g.appendChild(sv('title',{},tip));g.appendChild(sv('rect',{x:b[6],y:b[7],width:b[8],height:b[9],rx:8}));
    var y=b[7]+17;g.appendChild(sv('text',{x:b[6]+8,y:y,'class':'lbl'},lbl));
    y+=15;g.appendChild(sv('text',{x:b[6]+8,y:y,'class':'sub'},sub));
    extra.forEach(function(t){y+=13;g.appendChild(sv('text',{x:b[6]+8,y:y,'class':'extra'},t));});
    words.forEach(function(t){if(y+13<=b[7]+b[9]-2){y+=13;g.appendChild(sv('text',{x:b[6]+8,y:y,'class':'word'},'\u2716 '+t));}});
    if(state.piece===b[0]&&String(w)===state.ws){g.classList.add('active');}
    function pick(){var same=state.piece===b[0]&&state.ws===String(w);state.ws=String(w);state.piece=same?'':b[0];
      refresh();var t=$('findings');if(t.scrollIntoView){t.scrollIntoView({block:'start'});}}
    g.addEventListener('click',pick);g.addEventListener('keydown',function(e){if(e.key==='Enter'||e.key===' '){e.preventDefault();pick();}});
    svg.appendChild(g);});
  if(m.other[0]){svg.appendChild(sv('text',{x:20,y:m.size[1]-6,'class':'linklbl'},m.other[0]+' finding(s) on other resources ('+m.other[1]+')'));}
  box.appendChild(svg);}

/* Findings, a page at a time. */
var limit=PAGE;
function fMatch(f){var r=R[f[1]],q=state.q.toLowerCase();
  if(state.status&&ST[f[2]]!==state.status){return false;}
  if(state.severity&&r[3]!==state.severity){return false;}
  if(state.rule&&r[0]!==state.rule){return false;}
  if(state.ws!==''&&f[0]!==+state.ws){return false;}
  if(state.piece&&(' '+str(at(f,5,-1))+' ').indexOf(' '+state.piece+' ')<0){return false;}
  if(state.fnew&&!at(f,11,0)){return false;}
  if(q){var msg=at(f,6,-1);var hay=(r[0]+' '+r[1]+' '+W[f[0]][0]+' '+str(f[3])+str(f[4])+' '+(msg>=0?S[msg]:r[2])).toLowerCase();
    if(hay.indexOf(q)<0){return false;}}
  return true;}
function fRow(f){var st=ST[f[2]],r=R[f[1]],tr=el('tr');tr.dataset.status=st;tr.dataset.severity=r[3];tr.dataset.rule=r[0];
  tr.dataset.w=String(f[0]);tr.dataset.pieces=str(at(f,5,-1));
  var td=el('td');td.appendChild(el('span','badge b-'+st,st));
  if(at(f,11,0)){td.appendChild(document.createTextNode(' '));td.appendChild(el('span','badge new','NEW'));}
  if(at(f,12,-1)>=0){td.appendChild(el('div','detail','since '+S[f[12]]));}tr.appendChild(td);
  tr.appendChild(el('td','sev-'+r[3],r[3]));td=el('td');
  if(/^https:\/\//.test(r[4]||'')){var a=el('a','rule-doc',r[0]);a.href=r[4];a.rel='noopener noreferrer';a.title='Documentation of '+r[0];td.appendChild(a);}else{td.appendChild(document.createTextNode(r[0]));}
  td.appendChild(el('div','detail',r[1]));tr.appendChild(td);
  var rid=str(f[3])+str(f[4]);td=el('td','',rid.slice(rid.lastIndexOf('/')+1));td.title=rid;tr.appendChild(td);
  tr.appendChild(el('td','',W[f[0]][0]));var msg=at(f,6,-1);td=el('td','msg',msg>=0?S[msg]:r[2]);
  var det=el('div','detail'),lines=[];
  if(at(f,7,-1)>=0){lines.push('expected: '+S[f[7]]);}if(at(f,8,-1)>=0){lines.push('found: '+S[f[8]]);}
  if(at(f,9,-1)>=0){lines.push('where: '+S[f[9]]);}if(at(f,13,-1)>=0){lines.push((st==='known'?'known: ':'suppressed: ')+S[f[13]]);}
  lines.forEach(function(l,i){if(i){det.appendChild(el('br'));}det.appendChild(document.createTextNode(l));});
  if(at(f,10,-1)>=0){det.appendChild(el('div','fix','fix: '+S[f[10]]));}td.appendChild(det);tr.appendChild(td);return tr;}
function renderFindings(){var body=document.querySelector('#findings tbody'),frag=document.createDocumentFragment(),n=0;
  for(var i=0;i<F.length;i++){if(fMatch(F[i])){n++;if(n<=limit){frag.appendChild(fRow(F[i]));}}}
  body.textContent='';body.appendChild(frag);$('shown-count').textContent=String(n);
  var more=$('more');more.classList.toggle('hidden',n<=limit);
  if(n>limit){more.textContent='Show '+Math.min(PAGE,n-limit)+' more of '+(n-limit)+' not displayed';}
  var chip=$('ws-chip');chip.classList.toggle('hidden',state.ws==='');
  $('ws-name').textContent=state.ws===''?'':W[+state.ws][0]+(state.piece?' \u00b7 '+state.piece:'');}
function select(w,piece){state.ws=String(w);state.piece=piece;refresh();}
function refresh(){writeInputs();limit=PAGE;applyOverview();drawDiagram();renderFindings();toHash();
  document.documentElement.setAttribute('data-hash',location.hash);}
Object.keys(inputs).forEach(function(k){var e=$(inputs[k]);if(!e){return;}
  e.addEventListener(e.tagName==='INPUT'&&e.type!=='checkbox'?'input':'change',function(){readInputs();refresh();});});
document.querySelectorAll('#overview th[data-sort]').forEach(function(th){th.addEventListener('click',function(){
  var s=state.sort.split(':');state.sort=th.dataset.sort+':'+(s[0]===th.dataset.sort&&s[1]==='desc'?'asc':'desc');
  sortOverview();applyOverview();toHash();document.documentElement.setAttribute('data-hash',location.hash);});});
orows.forEach(function(tr){var name=tr.querySelector('.wsname');if(name){name.addEventListener('click',function(){
  var w=+tr.dataset.w;if(state.ws===String(w)){state.ws='';state.piece='';refresh();}else{select(w,'');}});}});
$('more').addEventListener('click',function(){limit+=PAGE;renderFindings();});
$('o-more').addEventListener('click',function(){oLimit+=D.overview_page;applyOverview();});
$('ws-clear').addEventListener('click',function(){state.ws='';state.piece='';refresh();});
fromHash();writeInputs();if(state.sort){sortOverview();}refresh();
})();
"""
