// Generated from openapi.yaml by scripts/gen-openapi.mjs (npm run gen:openapi). Do not edit.

/** Validation schemas of a route's parts, as fastify takes them (the body per content type). */
export interface RouteSchema {
  params?: Record<string, unknown>;
  querystring?: Record<string, unknown>;
  body?: { content: Record<string, { schema: Record<string, unknown> }> };
}

/** Every route with parameters or a JSON body, keyed "METHOD /path/{param}" as in openapi.yaml. */
export const ROUTE_SCHEMAS: Record<string, RouteSchema> = {
  "GET /ui/{file}": {
    "params": {
      "type": "object",
      "properties": {
        "file": {
          "type": "string",
          "enum": [
            "app.js",
            "api.js",
            "dom.js",
            "upload.js",
            "job-list.js",
            "job-detail.js",
            "rescale.js",
            "tabs.js",
            "charts.js",
            "graph.js",
            "job-actions.js",
            "job-overview.js",
            "job-history.js",
            "job-autoscaler.js",
            "job-taskmanagers.js",
            "style.css"
          ]
        }
      },
      "required": [
        "file"
      ]
    }
  },
  "DELETE /jars/{jarid}": {
    "params": {
      "type": "object",
      "properties": {
        "jarid": {
          "type": "string"
        }
      },
      "required": [
        "jarid"
      ]
    }
  },
  "POST /jars/{jarid}/run": {
    "params": {
      "type": "object",
      "properties": {
        "jarid": {
          "type": "string"
        }
      },
      "required": [
        "jarid"
      ]
    },
    "querystring": {
      "type": "object",
      "properties": {
        "entry-class": {
          "type": "string"
        },
        "parallelism": {
          "type": "string",
          "pattern": "^(\\s*\\d+\\s*)?$",
          "title": "a string of digits"
        },
        "programArg": {
          "type": "string"
        },
        "program-args": {
          "type": "string"
        },
        "savepointPath": {
          "type": "string",
          "minLength": 1
        }
      }
    },
    "body": {
      "content": {
        "application/json": {
          "schema": {
            "type": "object",
            "properties": {
              "entryClass": {
                "type": "string",
                "nullable": true
              },
              "programArgsList": {
                "type": "array",
                "nullable": true,
                "items": {
                  "type": "string"
                }
              },
              "programArgs": {
                "type": "string",
                "nullable": true
              },
              "parallelism": {
                "anyOf": [
                  {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 32768,
                    "title": "an integer from 1 to 32768"
                  },
                  {
                    "type": "string",
                    "pattern": "^(\\s*\\d+\\s*)?$",
                    "title": "a string of digits"
                  },
                  {
                    "type": "string",
                    "nullable": true,
                    "enum": [
                      null
                    ],
                    "title": "null"
                  }
                ]
              },
              "jobId": {
                "type": "string",
                "nullable": true,
                "pattern": "^[0-9a-f]{32}$",
                "title": "32 lowercase hexadecimal characters"
              },
              "savepointPath": {
                "type": "string",
                "nullable": true,
                "minLength": 1
              },
              "allowNonRestoredState": {
                "type": "boolean",
                "nullable": true
              },
              "flinkConfiguration": {
                "type": "object",
                "nullable": true,
                "additionalProperties": {}
              }
            },
            "nullable": true
          }
        }
      }
    }
  },
  "GET /jobs/{jobid}": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        }
      },
      "required": [
        "jobid"
      ]
    }
  },
  "PATCH /jobs/{jobid}": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        }
      },
      "required": [
        "jobid"
      ]
    },
    "querystring": {
      "type": "object",
      "properties": {
        "mode": {
          "type": "string",
          "enum": [
            "cancel"
          ]
        }
      }
    }
  },
  "GET /jobs/{jobid}/vertices/{vertexid}": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        },
        "vertexid": {
          "type": "string"
        }
      },
      "required": [
        "jobid",
        "vertexid"
      ]
    }
  },
  "GET /jobs/{jobid}/exceptions": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        }
      },
      "required": [
        "jobid"
      ]
    }
  },
  "GET /jobs/{jobid}/checkpoints": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        }
      },
      "required": [
        "jobid"
      ]
    }
  },
  "POST /jobs/{jobid}/checkpoints": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        }
      },
      "required": [
        "jobid"
      ]
    },
    "body": {
      "content": {
        "application/json": {
          "schema": {
            "type": "object",
            "properties": {
              "checkpointType": {
                "type": "string",
                "nullable": true,
                "enum": [
                  "CONFIGURED",
                  "FULL",
                  "INCREMENTAL",
                  null
                ]
              },
              "triggerId": {
                "type": "string",
                "nullable": true,
                "pattern": "^[0-9a-f]{32}$",
                "title": "32 lowercase hexadecimal characters"
              }
            },
            "nullable": true
          }
        }
      }
    }
  },
  "GET /jobs/{jobid}/checkpoints/{triggerid}": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        },
        "triggerid": {
          "type": "string"
        }
      },
      "required": [
        "jobid",
        "triggerid"
      ]
    }
  },
  "GET /jobs/{jobid}/execution-result": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        }
      },
      "required": [
        "jobid"
      ]
    }
  },
  "GET /jobs/{jobid}/yarn-cancel": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        }
      },
      "required": [
        "jobid"
      ]
    }
  },
  "POST /savepoint-disposal": {
    "body": {
      "content": {
        "application/json": {
          "schema": {
            "type": "object",
            "required": [
              "savepoint-path"
            ],
            "properties": {
              "savepoint-path": {
                "type": "string"
              },
              "triggerId": {
                "type": "string",
                "nullable": true,
                "pattern": "^[0-9a-f]{32}$",
                "title": "32 lowercase hexadecimal characters"
              }
            }
          }
        }
      }
    }
  },
  "GET /savepoint-disposal/{triggerid}": {
    "params": {
      "type": "object",
      "properties": {
        "triggerid": {
          "type": "string"
        }
      },
      "required": [
        "triggerid"
      ]
    }
  },
  "POST /jobs/{jobid}/savepoints": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        }
      },
      "required": [
        "jobid"
      ]
    },
    "body": {
      "content": {
        "application/json": {
          "schema": {
            "type": "object",
            "properties": {
              "target-directory": {
                "type": "string",
                "nullable": true
              },
              "cancel-job": {
                "type": "boolean",
                "nullable": true
              },
              "triggerId": {
                "type": "string",
                "nullable": true,
                "pattern": "^[0-9a-f]{32}$",
                "title": "32 lowercase hexadecimal characters"
              },
              "formatType": {
                "type": "string",
                "nullable": true
              }
            },
            "nullable": true
          }
        }
      }
    }
  },
  "GET /jobs/{jobid}/savepoints/{triggerid}": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        },
        "triggerid": {
          "type": "string"
        }
      },
      "required": [
        "jobid",
        "triggerid"
      ]
    }
  },
  "POST /jobs/{jobid}/stop": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        }
      },
      "required": [
        "jobid"
      ]
    },
    "body": {
      "content": {
        "application/json": {
          "schema": {
            "type": "object",
            "properties": {
              "targetDirectory": {
                "type": "string",
                "nullable": true
              },
              "drain": {
                "type": "boolean",
                "nullable": true
              },
              "formatType": {
                "type": "string",
                "nullable": true
              },
              "triggerId": {
                "type": "string",
                "nullable": true,
                "pattern": "^[0-9a-f]{32}$",
                "title": "32 lowercase hexadecimal characters"
              }
            },
            "nullable": true
          }
        }
      }
    }
  },
  "PATCH /jobs/{jobid}/rescaling": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        }
      },
      "required": [
        "jobid"
      ]
    },
    "querystring": {
      "type": "object",
      "properties": {
        "parallelism": {
          "type": "integer",
          "minimum": 1
        }
      },
      "required": [
        "parallelism"
      ]
    }
  },
  "GET /jobs/{jobid}/rescaling/{triggerid}": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        },
        "triggerid": {
          "type": "string"
        }
      },
      "required": [
        "jobid",
        "triggerid"
      ]
    }
  },
  "GET /jobs/{jobid}/resource-requirements": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        }
      },
      "required": [
        "jobid"
      ]
    }
  },
  "PUT /jobs/{jobid}/resource-requirements": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        }
      },
      "required": [
        "jobid"
      ]
    },
    "body": {
      "content": {
        "application/json": {
          "schema": {
            "type": "object",
            "additionalProperties": {
              "type": "object",
              "required": [
                "parallelism"
              ],
              "additionalProperties": false,
              "properties": {
                "parallelism": {
                  "type": "object",
                  "required": [
                    "lowerBound",
                    "upperBound"
                  ],
                  "additionalProperties": false,
                  "properties": {
                    "lowerBound": {
                      "type": "integer",
                      "minimum": 1
                    },
                    "upperBound": {
                      "type": "integer",
                      "minimum": 1
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  },
  "GET /jobs/metrics": {
    "querystring": {
      "type": "object",
      "properties": {
        "get": {
          "type": "string"
        },
        "agg": {
          "type": "string"
        },
        "jobs": {
          "type": "string"
        }
      }
    }
  },
  "GET /jobs/{jobid}/metrics": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        }
      },
      "required": [
        "jobid"
      ]
    },
    "querystring": {
      "type": "object",
      "properties": {
        "get": {
          "type": "string"
        }
      }
    }
  },
  "GET /jobs/{jobid}/metrics/history": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        }
      },
      "required": [
        "jobid"
      ]
    }
  },
  "GET /jobs/{jobid}/vertices/{vertexid}/metrics": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        },
        "vertexid": {
          "type": "string"
        }
      },
      "required": [
        "jobid",
        "vertexid"
      ]
    },
    "querystring": {
      "type": "object",
      "properties": {
        "get": {
          "type": "string"
        }
      }
    }
  },
  "GET /jobs/{jobid}/vertices/{vertexid}/watermarks": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        },
        "vertexid": {
          "type": "string"
        }
      },
      "required": [
        "jobid",
        "vertexid"
      ]
    }
  },
  "GET /jobs/{jobid}/vertices/{vertexid}/subtasks/metrics": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        },
        "vertexid": {
          "type": "string"
        }
      },
      "required": [
        "jobid",
        "vertexid"
      ]
    },
    "querystring": {
      "type": "object",
      "properties": {
        "get": {
          "type": "string"
        },
        "agg": {
          "type": "string"
        },
        "subtasks": {
          "type": "string"
        }
      }
    }
  },
  "GET /jobs/{jobid}/vertices/{vertexid}/subtasks/{subtaskindex}/metrics": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        },
        "vertexid": {
          "type": "string"
        },
        "subtaskindex": {
          "type": "integer",
          "minimum": 0
        }
      },
      "required": [
        "jobid",
        "vertexid",
        "subtaskindex"
      ]
    },
    "querystring": {
      "type": "object",
      "properties": {
        "get": {
          "type": "string"
        }
      }
    }
  },
  "GET /taskmanagers/metrics": {
    "querystring": {
      "type": "object",
      "properties": {
        "get": {
          "type": "string"
        },
        "agg": {
          "type": "string"
        },
        "taskmanagers": {
          "type": "string"
        }
      }
    }
  },
  "GET /taskmanagers/{taskmanagerid}/metrics": {
    "params": {
      "type": "object",
      "properties": {
        "taskmanagerid": {
          "type": "string"
        }
      },
      "required": [
        "taskmanagerid"
      ]
    },
    "querystring": {
      "type": "object",
      "properties": {
        "get": {
          "type": "string"
        }
      }
    }
  },
  "GET /jobmanager/metrics": {
    "querystring": {
      "type": "object",
      "properties": {
        "get": {
          "type": "string"
        }
      }
    }
  },
  "GET /jobs/{jobid}/rescales/overview": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        }
      },
      "required": [
        "jobid"
      ]
    }
  },
  "GET /jobs/{jobid}/rescales/summary": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        }
      },
      "required": [
        "jobid"
      ]
    }
  },
  "GET /jobs/{jobid}/rescales/history": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        }
      },
      "required": [
        "jobid"
      ]
    }
  },
  "GET /jobs/{jobid}/rescales/details/{rescaleuuid}": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        },
        "rescaleuuid": {
          "type": "string"
        }
      },
      "required": [
        "jobid",
        "rescaleuuid"
      ]
    }
  },
  "GET /jobs/{jobid}/rescales/config": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        }
      },
      "required": [
        "jobid"
      ]
    }
  },
  "GET /jobs/{jobid}/autoscaler": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        }
      },
      "required": [
        "jobid"
      ]
    }
  },
  "PATCH /jobs/{jobid}/autoscaler": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        }
      },
      "required": [
        "jobid"
      ]
    },
    "body": {
      "content": {
        "application/json": {
          "schema": {
            "type": "object",
            "title": "an object of job.autoscaler.* keys and their values",
            "minProperties": 1,
            "additionalProperties": {
              "anyOf": [
                {
                  "type": "string",
                  "nullable": true
                },
                {
                  "type": "number"
                },
                {
                  "type": "boolean"
                }
              ]
            }
          }
        }
      }
    }
  },
  "GET /jobs/{jobid}/autoscaler/{triggerid}": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        },
        "triggerid": {
          "type": "string"
        }
      },
      "required": [
        "jobid",
        "triggerid"
      ]
    }
  },
  "GET /jobs/{jobid}/vertices/{vertexid}/subtasktimes": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        },
        "vertexid": {
          "type": "string"
        }
      },
      "required": [
        "jobid",
        "vertexid"
      ]
    }
  },
  "GET /jobs/{jobid}/vertices/{vertexid}/taskmanagers": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        },
        "vertexid": {
          "type": "string"
        }
      },
      "required": [
        "jobid",
        "vertexid"
      ]
    }
  },
  "GET /jobs/{jobid}/vertices/{vertexid}/backpressure": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        },
        "vertexid": {
          "type": "string"
        }
      },
      "required": [
        "jobid",
        "vertexid"
      ]
    }
  },
  "GET /jobs/{jobid}/vertices/{vertexid}/accumulators": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        },
        "vertexid": {
          "type": "string"
        }
      },
      "required": [
        "jobid",
        "vertexid"
      ]
    }
  },
  "GET /jobs/{jobid}/vertices/{vertexid}/subtasks/accumulators": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        },
        "vertexid": {
          "type": "string"
        }
      },
      "required": [
        "jobid",
        "vertexid"
      ]
    }
  },
  "GET /jobs/{jobid}/accumulators": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        }
      },
      "required": [
        "jobid"
      ]
    }
  },
  "GET /jobs/{jobid}/plan": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        }
      },
      "required": [
        "jobid"
      ]
    }
  },
  "GET /jobs/{jobid}/config": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        }
      },
      "required": [
        "jobid"
      ]
    }
  },
  "GET /jobs/{jobid}/checkpoints/config": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        }
      },
      "required": [
        "jobid"
      ]
    }
  },
  "GET /jobs/{jobid}/checkpoints/details/{checkpointid}": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        },
        "checkpointid": {
          "type": "integer"
        }
      },
      "required": [
        "jobid",
        "checkpointid"
      ]
    }
  },
  "GET /jobs/{jobid}/checkpoints/details/{checkpointid}/subtasks/{vertexid}": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        },
        "checkpointid": {
          "type": "integer"
        },
        "vertexid": {
          "type": "string"
        }
      },
      "required": [
        "jobid",
        "checkpointid",
        "vertexid"
      ]
    }
  },
  "GET /jobs/{jobid}/jobmanager/config": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        }
      },
      "required": [
        "jobid"
      ]
    }
  },
  "GET /jobs/{jobid}/jobmanager/environment": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        }
      },
      "required": [
        "jobid"
      ]
    }
  },
  "GET /jobs/{jobid}/jobmanager/log": {
    "params": {
      "type": "object",
      "properties": {
        "jobid": {
          "type": "string"
        }
      },
      "required": [
        "jobid"
      ]
    },
    "querystring": {
      "type": "object",
      "properties": {
        "lines": {
          "type": "integer",
          "minimum": 0
        }
      }
    }
  },
  "GET /taskmanagers/{taskmanagerid}": {
    "params": {
      "type": "object",
      "properties": {
        "taskmanagerid": {
          "type": "string"
        }
      },
      "required": [
        "taskmanagerid"
      ]
    }
  },
  "GET /taskmanagers/{taskmanagerid}/logs": {
    "params": {
      "type": "object",
      "properties": {
        "taskmanagerid": {
          "type": "string"
        }
      },
      "required": [
        "taskmanagerid"
      ]
    }
  },
  "GET /taskmanagers/{taskmanagerid}/logs/{filename}": {
    "params": {
      "type": "object",
      "properties": {
        "taskmanagerid": {
          "type": "string"
        },
        "filename": {
          "type": "string"
        }
      },
      "required": [
        "taskmanagerid",
        "filename"
      ]
    },
    "querystring": {
      "type": "object",
      "properties": {
        "lines": {
          "type": "integer",
          "minimum": 0
        }
      }
    }
  },
  "GET /taskmanagers/{taskmanagerid}/log": {
    "params": {
      "type": "object",
      "properties": {
        "taskmanagerid": {
          "type": "string"
        }
      },
      "required": [
        "taskmanagerid"
      ]
    },
    "querystring": {
      "type": "object",
      "properties": {
        "lines": {
          "type": "integer",
          "minimum": 0
        }
      }
    }
  },
  "GET /taskmanagers/{taskmanagerid}/stdout": {
    "params": {
      "type": "object",
      "properties": {
        "taskmanagerid": {
          "type": "string"
        }
      },
      "required": [
        "taskmanagerid"
      ]
    },
    "querystring": {
      "type": "object",
      "properties": {
        "lines": {
          "type": "integer",
          "minimum": 0
        }
      }
    }
  },
  "GET /taskmanagers/{taskmanagerid}/thread-dump": {
    "params": {
      "type": "object",
      "properties": {
        "taskmanagerid": {
          "type": "string"
        }
      },
      "required": [
        "taskmanagerid"
      ]
    }
  },
  "GET /jobmanager/logs/{filename}": {
    "params": {
      "type": "object",
      "properties": {
        "filename": {
          "type": "string"
        }
      },
      "required": [
        "filename"
      ]
    },
    "querystring": {
      "type": "object",
      "properties": {
        "lines": {
          "type": "integer",
          "minimum": 0
        }
      }
    }
  },
  "GET /jobmanager/log": {
    "querystring": {
      "type": "object",
      "properties": {
        "lines": {
          "type": "integer",
          "minimum": 0
        }
      }
    }
  },
  "GET /jars/{jarid}/plan": {
    "params": {
      "type": "object",
      "properties": {
        "jarid": {
          "type": "string"
        }
      },
      "required": [
        "jarid"
      ]
    },
    "querystring": {
      "type": "object",
      "properties": {
        "entry-class": {
          "type": "string"
        },
        "entryClass": {
          "type": "string"
        },
        "programArg": {
          "type": "string"
        },
        "program-args": {
          "type": "string"
        },
        "parallelism": {
          "type": "string"
        }
      }
    }
  },
  "POST /jars/{jarid}/plan": {
    "params": {
      "type": "object",
      "properties": {
        "jarid": {
          "type": "string"
        }
      },
      "required": [
        "jarid"
      ]
    },
    "querystring": {
      "type": "object",
      "properties": {
        "entry-class": {
          "type": "string"
        },
        "programArg": {
          "type": "string"
        },
        "program-args": {
          "type": "string"
        },
        "parallelism": {
          "type": "string"
        }
      }
    },
    "body": {
      "content": {
        "application/json": {
          "schema": {
            "type": "object",
            "properties": {
              "entryClass": {
                "type": "string",
                "nullable": true
              },
              "programArgs": {
                "type": "string",
                "nullable": true
              },
              "programArgsList": {
                "type": "array",
                "nullable": true,
                "items": {
                  "type": "string"
                }
              },
              "parallelism": {
                "type": "integer",
                "nullable": true,
                "minimum": 1
              },
              "jobId": {
                "type": "string",
                "nullable": true
              },
              "flinkConfiguration": {
                "type": "object",
                "nullable": true
              }
            },
            "nullable": true
          }
        }
      }
    }
  }
};
